/* Controlling a running VM from outside it (the management commands, mgmt/): pause and resume,
 * and its share of the CPUs changed while it runs (README "Management API"). Called on CPU 0,
 * from a command, never from a vCPU's exit path. */
#ifndef KEEL_VMCTL_H
#define KEEL_VMCTL_H

#include "vm/vm.h"

/* Pause vm: each vCPU leaves its CPU and none runs again until vm_resume; the VM's virtual
 * timers do not fire meanwhile, and those that came due fire on resume (as a real machine's
 * would once it runs again). Returns once none of its vCPUs runs: NULL, or why not (vm is not
 * running, or already paused). A paused VM's state can be read and written (snapshots). */
const char *vm_pause(struct vm *vm);
/* From a vCPU's exit path (a debugger's stop, exit/debug.c): mark vm paused and kick its
 * other vCPUs off their CPUs, without waiting; the caller then returns EXIT_RESCHED. True if
 * this call paused it (false: it was paused already). vm_settled says when it took effect. */
bool vm_pause_request(struct vm *vm);
/* True once no vCPU of vm is on a CPU and no restart is half done. */
bool vm_settled(const struct vm *vm);
/* Let a paused VM run again: NULL, or why not (it is not paused). */
const char *vm_resume(struct vm *vm);
/* vm_resume with no log line: a debugger's continue or step, the mirror of vm_pause_request
 * (one line per gdb step would flood the log). */
const char *vm_resume_request(struct vm *vm);
/* True while vm is paused. */
bool vm_is_paused(const struct vm *vm);

/* Start vm, created and loaded but not yet on the run queues (start=no, or at boot): NULL, or
 * why not (it is not waiting to start). */
const char *vm_start(struct vm *vm);
/* Reset vm as a guest reset with on_reset=restart does, whatever its on_reset (system_reset):
 * NULL, or why not. A paused VM restarts and stays paused. */
const char *vm_reset(struct vm *vm);
/* End vm for vm-destroy (if it still runs) and wait until none of its vCPUs is on a CPU and
 * it is off the run queues: NULL, or why not (then it has ended, but may not be freed yet). */
const char *vm_end_for_destroy(struct vm *vm);

#endif
