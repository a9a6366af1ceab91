/* Debugging a guest from outside it (exit/debug.h): the debugger's hold on a VM, its
 * hardware slots, and the exits that stop the VM for it or go back to the guest. Memory and
 * software breakpoints are in debug_mem.c, the pure decisions in debug_hw.c. */
#include "exit/debug.h"
#include "exit/access.h"
#include "exit/debug_hw.h"
#include "kernel/x86.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "vm/vmctl.h"

bool dbg_attach(struct vm *vm)
{
	if (vm->debug)
		return true;
	struct vm_debug *d = kmalloc(sizeof(*d));
	if (!d)
		return false;
	memset(d, 0, sizeof(*d));
	vm->dbg_dr7 = DR7_FIXED;
	vm->debug = d;
	return true;
}

/* Every vCPU takes ctl at its next entry (the VM is paused: none is on a CPU). */
static void set_ctl(struct vm *vm, u32 ctl, const struct vcpu *step)
{
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpu[i];
		v->dbg.ctl = v == step ? ctl | DBG_CTL_STEP | DBG_CTL_DB : ctl;
	}
}

void dbg_detach(struct vm *vm)
{
	struct vm_debug *d = vm->debug;
	if (!d)
		return;
	for (unsigned i = 0; i < DBG_SW_MAX; i++)
		if (d->sw[i].used)
			dbg_sw_forget(vm, &d->sw[i]);
	set_ctl(vm, 0, NULL); /* the backends give the guest its DR6/DR7 back at entry */
	vm->debug = NULL;
	kfree(d);
}

/* A VM that ended, or is on its way there, stops for good. */
static bool vm_ended(const struct vm *vm)
{
	return vm->end != VM_END_NONE || vm->state != VM_RUNNING;
}

/* Record a stop unless one is recorded already (the first vCPU to stop wins). */
static bool record_stop(struct vm_debug *d, enum dbg_stop why, u32 vcpu)
{
	enum dbg_stop none = DBG_STOP_NONE;
	if (!__atomic_compare_exchange_n(&d->stop, &none, why, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return false;
	d->stop_vcpu = vcpu;
	return true;
}

const char *dbg_interrupt(struct vm *vm)
{
	if (!vm->debug)
		return "no debugger attached";
	if (vm_ended(vm))
		return "the VM is not running";
	record_stop(vm->debug, DBG_STOP_INTERRUPT, 0);
	vm_pause_request(vm);
	return NULL;
}

enum dbg_stop dbg_poll(struct vm *vm, u32 *vcpu, u64 *addr, enum dbg_hw_kind *kind)
{
	struct vm_debug *d = vm->debug;
	if (vm_ended(vm))
		return DBG_STOP_ENDED;
	if (!d)
		return DBG_STOP_NONE;
	enum dbg_stop s = __atomic_load_n(&d->stop, __ATOMIC_ACQUIRE);
	if (s == DBG_STOP_NONE || !vm_is_paused(vm) || !vm_settled(vm))
		return DBG_STOP_NONE;
	*vcpu = d->stop_vcpu;
	*addr = d->stop_addr;
	*kind = d->stop_kind;
	return s;
}

void dbg_resume(struct vm *vm, struct vcpu *step)
{
	struct vm_debug *d = vm->debug;
	if (!d)
		return;
	set_ctl(vm, dbg_base_ctl(d), step);
	__atomic_store_n(&d->stop, DBG_STOP_NONE, __ATOMIC_RELEASE);
	vm_resume_request(vm);
}

/* The slots changed: DR7 and DR0-DR3 for the hardware, and every vCPU's intercepts. */
static void hw_changed(struct vm *vm)
{
	struct vm_debug *d = vm->debug;
	for (unsigned i = 0; i < DBG_HW_MAX; i++)
		vm->dbg_dr[i] = d->hw[i].used ? d->hw[i].la : 0;
	vm->dbg_dr7 = dbg_dr7_encode(d->hw);
	dbg_ctl_update(vm);
}

/* The slot already holding (kind, la, len), or -1. */
static int hw_find(const struct vm_debug *d, enum dbg_hw_kind kind, u64 la, u8 len)
{
	for (int i = 0; i < DBG_HW_MAX; i++)
		if (d->hw[i].used && d->hw[i].kind == kind && d->hw[i].la == la &&
		    d->hw[i].len == len)
			return i;
	return -1;
}

const char *dbg_hw_insert(struct vm *vm, enum dbg_hw_kind kind, u64 la, u8 len)
{
	struct vm_debug *d = vm->debug;
	if (kind == DBG_HW_EXEC && !len)
		len = 1;
	const char *why = d ? dbg_hw_check(kind, la, len) : "no debugger attached";
	if (why)
		return why;
	if (hw_find(d, kind, la, len) >= 0)
		return NULL;
	for (int i = 0; i < DBG_HW_MAX; i++) {
		if (d->hw[i].used)
			continue;
		d->hw[i] = (struct dbg_hw){true, kind, la, len};
		hw_changed(vm);
		return NULL;
	}
	return "all four debug registers are in use";
}

const char *dbg_hw_remove(struct vm *vm, enum dbg_hw_kind kind, u64 la, u8 len)
{
	struct vm_debug *d = vm->debug;
	if (!d)
		return "no debugger attached";
	if (kind == DBG_HW_EXEC && !len)
		len = 1;
	int i = hw_find(d, kind, la, len);
	if (i >= 0) {
		d->hw[i].used = false;
		hw_changed(vm);
	}
	return NULL;
}

/* Stop the VM for the debugger at v (exit/debug.h): the first stop wins, the others' exits
 * run again once the VM resumes (RIP unchanged for a #BP and an instruction breakpoint). A
 * stop ends v's step. slot: the watchpoint's, or -1. */
static enum exit_action stop_here(struct vcpu *v, enum dbg_stop why, int slot)
{
	struct vm_debug *d = v->vm->debug;
	v->dbg.ctl &= ~DBG_CTL_STEP;
	if (record_stop(d, why, v->id) && slot >= 0) {
		d->stop_addr = d->hw[slot].la;
		d->stop_kind = d->hw[slot].kind;
	}
	vm_pause_request(v->vm);
	return EXIT_RESCHED;
}

/* The guest's own #BP (an INT3 or INT 3 of its own): a trap, so its handler sees RIP after
 * the instruction (SDM 6.5). Injected as an exception with RIP already past it, which both
 * backends deliver without the INT n privilege check. */
static enum exit_action guest_bp(struct vcpu *v, struct vexit *e)
{
	u8 bytes[15];
	size_t n = vcpu_fetch_insn(v, bytes);
	u8 len = n && bytes[0] == 0xcc ? 1 : n > 1 && bytes[0] == 0xcd ? 2 : e->insn_len;
	vcpu_set(v, VREG_RIP, vcpu_get(v, VREG_RIP) + (len ? len : 1));
	vcpu_inject_exception(v, 3, false, 0);
	return EXIT_RESUME;
}

/* A #BP: one of the debugger's INT3s (la and gpa match) stops the VM with RIP on it. */
static enum exit_action bp_exit(struct vcpu *v, struct vexit *e)
{
	struct vm_debug *d = v->vm->debug;
	u64 la = vcpu_get(v, VREG_CS_BASE) + vcpu_get(v, VREG_RIP);
	if (vcpu_mode(v) != CPU_MODE_LONG64)
		la &= 0xffffffffull;
	if (d && dbg_sw_at(v, la))
		return stop_here(v, DBG_STOP_SWBREAK, -1);
	return guest_bp(v, e);
}

/* A #DB the debugger did not cause: the guest's DR6 takes the causes, then the guest's #DB
 * handler runs (SDM 17.2.3). While the debugger owns the hardware's DR7 its slots' bits are
 * not the guest's. */
static enum exit_action guest_db(struct vcpu *v, u64 causes)
{
	if (v->dbg.ctl & DBG_CTL_DR) {
		causes &= ~DR6_B_MASK;
		v->dbg.dr6 = dbg_dr6_merge(v->dbg.dr6, causes);
	} else {
		vcpu_set(v, VREG_DR6, dbg_dr6_merge(vcpu_get(v, VREG_DR6), causes));
	}
	vcpu_inject_exception(v, 1, false, 0);
	return EXIT_RESUME;
}

/* A #DB: the debugger's breakpoint, watchpoint or step stops the VM; anything else is the
 * guest's. An instruction breakpoint is a fault: RF set so the guest resumes past it (SDM
 * 17.3.1.1). */
static enum exit_action db_exit(struct vcpu *v, struct vexit *e)
{
	struct vm_debug *d = v->vm->debug;
	int slot;
	enum dbg_stop why = d ? dbg_db_stop(d->hw, v->dbg.ctl, e->exc.dr6, &slot) : DBG_STOP_NONE;
	if (why == DBG_STOP_NONE)
		return guest_db(v, e->exc.dr6);
	if (why == DBG_STOP_HWBREAK)
		vcpu_set(v, VREG_RFLAGS, vcpu_get(v, VREG_RFLAGS) | RFLAGS_RF);
	return stop_here(v, why, why == DBG_STOP_WATCH ? slot : -1);
}

enum exit_action exit_debug(struct vcpu *v, struct vexit *e)
{
	if (e->exc.vector == 3)
		return bp_exit(v, e);
	if (e->exc.vector == 1)
		return db_exit(v, e);
	return exit_unexpected(v, e);
}

/* MOV DR while the debugger owns the hardware's (SDM 17.2): the guest reads and writes its
 * own values. DR4/DR5 alias DR6/DR7 (CR4.DE clear; with DE set the CPU raises #UD before
 * the exit). A write keeps the bits that read fixed. */
enum exit_action exit_dr(struct vcpu *v, struct vexit *e)
{
	if (e->dr.dr > 7)
		return exit_unexpected(v, e); /* the backend could not read the instruction */
	u8 n = e->dr.dr == 4 ? 6 : e->dr.dr == 5 ? 7 : e->dr.dr;
	u64 *reg = n < 4 ? &v->dr[n] : n == 6 ? &v->dbg.dr6 : &v->dbg.dr7;
	u64 *gpr = &v->regs.gpr[e->dr.gpr];
	bool rsp = e->dr.gpr == RSP; /* RSP lives in the VMCB / VMCS */
	bool wide = vcpu_mode(v) == CPU_MODE_LONG64;
	if (e->dr.read) {
		u64 val = wide ? *reg : *reg & 0xffffffffull;
		if (rsp)
			vcpu_set(v, VREG_RSP, val);
		else
			*gpr = val;
	} else {
		u64 val = rsp ? vcpu_get(v, VREG_RSP) : *gpr;
		val = wide ? val : val & 0xffffffffull;
		*reg = n == 6 ? val | DR6_FIXED : n == 7 ? (val | DR7_FIXED) & 0xffffffffull : val;
	}
	e->skip = true;
	return EXIT_RESUME;
}

enum exit_action exit_step_check(struct vcpu *v, enum exit_action action)
{
	if (!(v->dbg.ctl & DBG_CTL_STEP) || action == EXIT_STOP || !v->vm->debug)
		return action;
	return stop_here(v, DBG_STOP_STEP, -1);
}
