/* Debugging a guest from outside it (exit/debug.h). STUB: the contract only; the debug part
 * of issue 16 replaces every function here. */
#include "exit/debug.h"

bool dbg_attach(struct vm *vm)
{
	(void)vm;
	return false;
}

void dbg_detach(struct vm *vm)
{
	(void)vm;
}

const char *dbg_interrupt(struct vm *vm)
{
	(void)vm;
	return "not built yet";
}

enum dbg_stop dbg_poll(struct vm *vm, u32 *vcpu, u64 *addr, enum dbg_hw_kind *kind)
{
	(void)vm, (void)vcpu, (void)addr, (void)kind;
	return DBG_STOP_NONE;
}

void dbg_resume(struct vm *vm, struct vcpu *step)
{
	(void)vm, (void)step;
}

int dbg_read(struct vcpu *v, u64 addr, void *buf, size_t n, bool phys, const char **why)
{
	(void)v, (void)addr, (void)buf, (void)n, (void)phys;
	*why = "not built yet";
	return -1;
}

int dbg_write(struct vcpu *v, u64 addr, const void *buf, size_t n, bool phys, const char **why)
{
	(void)v, (void)addr, (void)buf, (void)n, (void)phys;
	*why = "not built yet";
	return -1;
}

const char *dbg_sw_insert(struct vcpu *v, u64 la)
{
	(void)v, (void)la;
	return "not built yet";
}

const char *dbg_sw_remove(struct vcpu *v, u64 la)
{
	(void)v, (void)la;
	return "not built yet";
}

const char *dbg_hw_insert(struct vm *vm, enum dbg_hw_kind kind, u64 la, u8 len)
{
	(void)vm, (void)kind, (void)la, (void)len;
	return "not built yet";
}

const char *dbg_hw_remove(struct vm *vm, enum dbg_hw_kind kind, u64 la, u8 len)
{
	(void)vm, (void)kind, (void)la, (void)len;
	return "not built yet";
}

enum exit_action exit_debug(struct vcpu *v, struct vexit *e)
{
	return exit_unexpected(v, e);
}

enum exit_action exit_dr(struct vcpu *v, struct vexit *e)
{
	return exit_unexpected(v, e);
}

enum exit_action exit_step_check(struct vcpu *v, enum exit_action action)
{
	(void)v;
	return action;
}
