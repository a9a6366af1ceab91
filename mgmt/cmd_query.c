/* The machine as it is: help, query-vms, and the prompt's own commands (README "Management
 * API"). Read without locks: a snapshot for a person or a script, not for a decision. */
#include "mgmt/cmds.h"
#include "drivers/timer.h"
#include "kernel/log.h"
#include "kernel/x86.h"
#include "vm/console.h"
#include "vm/virq.h"
#include "vm/vmctl.h"

bool cmd_help(struct cmd_ctx *c)
{
	jw_arr_begin(c->out);
	for (u32 i = 0; i < ncmds; i++) {
		jw_obj_begin(c->out);
		jw_kstr(c->out, "name", cmds[i].name);
		jw_kstr(c->out, "args", cmds[i].args);
		jw_kstr(c->out, "help", cmds[i].help);
		jw_obj_end(c->out);
	}
	jw_arr_end(c->out);
	return true;
}

static const char *vm_state(const struct vm *vm)
{
	if (vm->state == VM_CREATED)
		return "created";
	if (vm->state == VM_DESTROYED)
		return "destroyed";
	if (vm->state == VM_STOPPED || vm->end)
		return "ended";
	return vm_is_paused(vm) ? "paused" : "running";
}

static void one_vm(struct jw *w, const struct vm *vm)
{
	u64 tsc = 0, exits[EXIT_KINDS] = {0};
	for (u32 i = 0; i < vm->nvcpus; i++) {
		tsc += vm->vcpu[i]->guest_tsc;
		for (int k = 0; k < EXIT_KINDS; k++)
			exits[k] += vm->vcpu[i]->exits[k];
	}
	jw_obj_begin(w);
	jw_kstr(w, "name", vm->name);
	jw_ku64(w, "id", vm->id);
	jw_kstr(w, "state", vm_state(vm));
	jw_ku64(w, "vcpus", vm->nvcpus);
	jw_ku64(w, "memory", vm->mem.size);
	if (vm->mem.frames || vm->mem.nchunks) { /* RAM it holds alone, and shared (clones) */
		u64 own = gmem_private_pages(&vm->mem);
		jw_ku64(w, "pages-private", own);
		jw_ku64(w, "pages-shared", (vm->mem.size >> PAGE_SHIFT) - own);
	}
	jw_ku64(w, "cpu-time-ns", tsc_to_us(tsc) * 1000);
	jw_key(w, "exits");
	jw_obj_begin(w);
	for (int k = 0; k < EXIT_KINDS; k++)
		jw_ku64(w, exit_kind_names[k], exits[k]);
	jw_obj_end(w);
	if (vm->end) {
		jw_kstr(w, "end", cmd_end_reason(vm->end));
		if (vm->end == VM_END_EXIT)
			jw_ku64(w, "status", vm->status);
		jw_kstr(w, "why", vm->why);
	}
	jw_obj_end(w);
}

bool cmd_query_vms(struct cmd_ctx *c)
{
	jw_arr_begin(c->out);
	for (struct vm *vm = vm_list; vm; vm = vm->next)
		one_vm(c->out, vm);
	jw_arr_end(c->out);
	return true;
}

/* What the scheduler and the interrupt path believe about one vCPU, for a guest that looks
 * hung (is it halted with a timer armed? an interrupt pending? still exiting?). */
static void one_vcpu(struct jw *w, const struct vcpu *v, u64 now)
{
	static const char *const states[] = {"runnable", "halted", "wait-sipi", "stopped"};
	u64 total = 0, due = v->next_deadline;
	for (int k = 0; k < EXIT_KINDS; k++)
		total += v->exits[k];
	jw_obj_begin(w);
	jw_kstr(w, "vm", v->vm->name);
	jw_ku64(w, "vcpu", v->id);
	jw_kstr(w, "state", v->state < ARRAY_SIZE(states) ? states[v->state] : "?");
	jw_ku64(w, "home", v->home);
	jw_key(w, "on");
	jw_s64(w, v->running_on);
	jw_ku64(w, "irq", v->irq_pending);
	jw_kbool(w, "nmi", v->nmi_pending);
	jw_key(w, "timer-us"); /* from now: negative if overdue; null if none armed */
	if (due)
		jw_s64(w, due < now ? -(s64)tsc_to_us(now - due) : (s64)tsc_to_us(due - now));
	else
		jw_null(w);
	jw_ku64(w, "exits", total);
	jw_ku64(w, "hlt", v->exits[EXK_HLT]);
	jw_ku64(w, "interrupt", v->exits[EXK_INTR]);
	jw_obj_end(w);
}

bool cmd_vcpus(struct cmd_ctx *c)
{
	struct vm *only = NULL;
	if (cmd_has_arg(c, "vm") && !(only = cmd_arg_vm(c)))
		return false;
	u64 now = rdtsc();
	jw_arr_begin(c->out);
	for (struct vm *vm = vm_list; vm; vm = vm->next)
		if (vm->state == VM_RUNNING && (!only || vm == only))
			for (u32 i = 0; i < vm->nvcpus; i++)
				one_vcpu(c->out, vm->vcpu[i], now);
	jw_arr_end(c->out);
	return true;
}

static bool running(const struct vm *vm)
{
	return vm->state == VM_RUNNING && !vm->end;
}

bool cmd_console(struct cmd_ctx *c)
{
	struct vm *vm = cmd_arg_vm(c);
	if (!vm)
		return false;
	if (!running(vm) || !vm->console_input)
		return cmd_fail(c, CMD_ERR_GENERIC, "VM '%s' does not take console input",
				vm->name);
	console_switch(vm);
	return true;
}

/* As a front-panel NMI button: a hung guest that panics on an unknown NMI (Linux:
 * unknown_nmi_panic) prints where it was. */
bool cmd_nmi(struct cmd_ctx *c)
{
	struct vm *vm = cmd_arg_vm(c);
	if (!vm)
		return false;
	if (!running(vm))
		return cmd_fail(c, CMD_ERR_GENERIC, "VM '%s' is not running", vm->name);
	log_info("keel: NMI to vm %s, vCPU 0", vm->name);
	vcpu_nmi(vm->vcpu[0]);
	return true;
}
