/* A VM's life and its share of the CPUs (README "Management API"): pause and resume, reset,
 * the power button, destroy, start, live scheduling changes, and the run-time statistics. */
#include "mgmt/cmds.h"
#include "mgmt/snapshot.h"
#include "drivers/timer.h"
#include "kernel/percpu.h"
#include "lib/string.h"
#include "loader/vmdef.h"
#include "vdev/vdevs.h"
#include "vdev/vpm.h"
#include "vm/sched.h"
#include "vm/vmctl.h"
#include "kernel/x86.h"

/* TSC ticks as nanoseconds, without overflow for any run keel makes. */
static u64 tsc_ns(u64 t)
{
	return t / tsc_khz * 1000000 + t % tsc_khz * 1000000 / tsc_khz;
}

/* The VM named by "vm", which must be running (not ended, destroyed or waiting to start). */
static struct vm *running_vm(struct cmd_ctx *c)
{
	struct vm *vm = cmd_arg_vm(c);
	if (vm && (vm->state != VM_RUNNING || vm->end)) {
		cmd_fail(c, CMD_ERR_GENERIC, "VM '%s' is not running", vm->name);
		return NULL;
	}
	return vm;
}

/* A vmctl call's answer: NULL is success, anything else the reason it failed. */
static bool done(struct cmd_ctx *c, const struct vm *vm, const char *why)
{
	return why ? cmd_fail(c, CMD_ERR_GENERIC, "vm %s: %s", vm->name, why) : true;
}

/* One VM's figures: time on a CPU, time queued for one (steal), and exits per second since
 * the previous query-stats (or the VM's start). Read without locks: counters for a person or
 * a script, each read once. */
static void vm_stats(struct jw *w, struct vm *vm, u64 now)
{
	u64 run = 0, steal = 0, exits = 0;
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpu[i];
		run += v->guest_tsc;
		steal += v->steal_tsc;
		for (int k = 0; k < EXIT_KINDS; k++)
			exits += v->exits[k];
	}
	u64 since = vm->stats_tsc ? vm->stats_tsc : vm->start_tsc;
	u64 span = now > since ? now - since : 0;
	u64 rate = span ? (exits - MIN(exits, vm->stats_exits)) * tsc_khz * 1000 / span : 0;
	if (vm->state == VM_RUNNING) {
		vm->stats_tsc = now;
		vm->stats_exits = exits;
	}
	jw_obj_begin(w);
	jw_kstr(w, "name", vm->name);
	jw_kbool(w, "paused", vm_is_paused(vm));
	jw_ku64(w, "run-time-ns", tsc_ns(run));
	jw_ku64(w, "steal-time-ns", tsc_ns(steal));
	jw_ku64(w, "exits", exits);
	jw_ku64(w, "exits-per-second", rate);
	jw_ku64(w, "interval-ms", tsc_to_us(span) / 1000);
	jw_ku64(w, "weight", vm->weight);
	jw_ku64(w, "cap", vm->cap);
	jw_ku64(w, "pin", vm->pin);
	jw_obj_end(w);
}

/* One host CPU: busy and idle time since it began to schedule. */
static void cpu_stats(struct jw *w, u32 cpu, u64 now)
{
	struct sched_stats s;
	sched_cpu_stats(cpu, &s);
	u64 up = s.start_tsc && now > s.start_tsc ? now - s.start_tsc : 0;
	jw_obj_begin(w);
	jw_ku64(w, "cpu", cpu);
	jw_ku64(w, "busy-ns", tsc_ns(up - MIN(up, s.idle_tsc)));
	jw_ku64(w, "idle-ns", tsc_ns(MIN(up, s.idle_tsc)));
	jw_ku64(w, "switches", s.switches);
	jw_obj_end(w);
}

bool cmd_query_stats(struct cmd_ctx *c)
{
	u64 now = rdtsc();
	jw_obj_begin(c->out);
	jw_key(c->out, "vms");
	jw_arr_begin(c->out);
	for (struct vm *vm = vm_list; vm; vm = vm->next)
		if (vm->state == VM_RUNNING)
			vm_stats(c->out, vm, now);
	jw_arr_end(c->out);
	jw_key(c->out, "cpus");
	jw_arr_begin(c->out);
	for (u32 i = 0; i < ncpus; i++)
		if (cpus[i].online)
			cpu_stats(c->out, i, now);
	jw_arr_end(c->out);
	jw_obj_end(c->out);
	return true;
}

bool cmd_stop(struct cmd_ctx *c)
{
	struct vm *vm = running_vm(c);
	return vm && done(c, vm, vm_pause(vm));
}

bool cmd_cont(struct cmd_ctx *c)
{
	struct vm *vm = running_vm(c);
	return vm && done(c, vm, vm_resume(vm));
}

bool cmd_system_reset(struct cmd_ctx *c)
{
	struct vm *vm = running_vm(c);
	return vm && done(c, vm, vm_reset(vm));
}

/* ACPI 6.5 4.8.2.2.1: the fixed power button; the guest's OS decides what to do (a shutdown,
 * ending in S5). A paused VM sees it once it is resumed. */
bool cmd_system_powerdown(struct cmd_ctx *c)
{
	struct vm *vm = running_vm(c);
	if (!vm)
		return false;
	if (!vpm_power_button(vm))
		return cmd_fail(c, CMD_ERR_GENERIC, "vm %s has no ACPI power button", vm->name);
	vm_event(vm, VM_EV_POWERDOWN);
	return true;
}

/* End the VM if it runs, then free its RAM, vCPUs, devices (disk overlays, switch ports):
 * it stays listed, destroyed. Destroying the last VM that runs ends keel's run, as any VM's
 * end does (README "Management API"). */
bool cmd_vm_destroy(struct cmd_ctx *c)
{
	struct vm *vm = cmd_arg_vm(c);
	if (!vm)
		return false;
	const char *why = vm_end_for_destroy(vm);
	if (why)
		return done(c, vm, why);
	snap_delete_all(vm);
	vdevs_free(vm);
	vm_free(vm);
	return true;
}

bool cmd_vm_start(struct cmd_ctx *c)
{
	struct vm *vm = cmd_arg_vm(c);
	return vm && done(c, vm, vm_start(vm));
}

/* pin= as a CPU list ("0,2-3"), or one CPU's number (the prompt's pin=1 is a number). */
static bool arg_pin(struct cmd_ctx *c, u64 *mask)
{
	char list[64];
	u64 one;
	if (cmd_arg_u64(c, "pin", &one, false)) {
		*mask = one < 64 ? BIT(one) : 0;
		return one < 64 || cmd_fail(c, CMD_ERR_GENERIC, "bad pin: CPU numbers are 0-63");
	}
	c->err_class = NULL; /* not a number: a list */
	c->err[0] = '\0';
	if (!cmd_arg_str(c, "pin", list, sizeof(list), true))
		return false;
	if (!vmdef_cpulist(list, strlen(list), mask))
		return cmd_fail(c, CMD_ERR_GENERIC, "bad pin '%s' (e.g. 0,2-3)", list);
	return true;
}

/* The online CPUs as a mask. */
static u64 online_cpus(void)
{
	u64 m = 0;
	for (u32 i = 0; i < ncpus; i++)
		if (cpus[i].online)
			m |= BIT(i);
	return m;
}

/* Every argument is checked before any is applied: a refused vm-set changes nothing. */
bool cmd_vm_set(struct cmd_ctx *c)
{
	struct vm *vm = running_vm(c);
	u64 weight = 0, cap = 0, pin = 0;
	if (!vm)
		return false;
	bool has_w = cmd_arg_u64(c, "weight", &weight, false);
	if (!has_w && c->err_class)
		return false;
	if (has_w && (weight < 1 || weight > 65535))
		return cmd_fail(c, CMD_ERR_GENERIC, "bad weight %llu (1 to 65535)", weight);
	bool has_c = cmd_arg_u64(c, "cap", &cap, false);
	if (!has_c && c->err_class)
		return false;
	if (has_c && cap > 100 * 64)
		return cmd_fail(c, CMD_ERR_GENERIC, "bad cap %llu (0: none, or 1 to 6400)", cap);
	bool has_p = cmd_has_arg(c, "pin");
	if (has_p && !arg_pin(c, &pin))
		return false;
	if (has_p && !(pin & online_cpus()))
		return cmd_fail(c, CMD_ERR_GENERIC, "pin %#llx names no online CPU (online: %#llx)",
				pin, online_cpus());
	if (!has_w && !has_c && !has_p)
		return cmd_fail(c, CMD_ERR_GENERIC, "nothing to set (weight=, cap=, pin=)");
	if (has_w)
		sched_set_weight(vm, (u32)weight);
	if (has_c)
		__atomic_store_n(&vm->cap, (u32)cap, __ATOMIC_RELEASE);
	if (has_p && !sched_set_pin(vm, pin & online_cpus()))
		return cmd_fail(c, CMD_ERR_GENERIC,
				"vm %s: pinned, but a vCPU has not left a CPU it may no longer use",
				vm->name);
	return true;
}
