/* Debugging a guest from outside it (issue 16; gdb's stub is mgmt/gdb*.c): software and
 * hardware breakpoints, watchpoints, single steps and the stops they cause, written once for
 * both backends (README "Debugging a guest").
 *
 * How it is split:
 *  - The stub (mgmt/, CPU 0) calls the dbg_* functions below, always with the VM paused
 *    (vm_is_paused and vm_settled true), except dbg_interrupt and dbg_poll.
 *  - A backend (svm/, vmx/) reads v->dbg.ctl before each entry and sets its intercepts from it
 *    (#BP, #DB, MOV DR, single step); it hands #BP and #DB exits to exit_debug, MOV DR exits to
 *    exit_dr, and calls exit_step_check after an exit whose instruction keel emulated and
 *    skipped (no #DB comes for those).
 *  - The exit handlers decide: a stop gdb caused pauses the VM (vm_pause_request) and records
 *    the stop in vm->debug for the stub's dbg_poll; anything else is the guest's own and is
 *    delivered to it as the CPU would have (a #BP of its own INT3, a #DB of its own DR7 or TF).
 *
 * Addresses: "virtual" addresses are the guest's linear addresses (CS.base + RIP in real mode,
 * as gdb sees them on QEMU too) translated through the page tables of the vCPU gdb selected
 * (exit/gva.h, every paging mode); "physical" ones are guest-physical (monitor phys). Only RAM
 * can be read, written or hold a breakpoint: MMIO and holes give an error, never a device
 * access. */
#ifndef KEEL_DEBUG_H
#define KEEL_DEBUG_H

#include "exit/exit.h"
#include "vm/vm.h"

#define DBG_SW_MAX 64 /* software breakpoints per VM */
#define DBG_HW_MAX 4  /* DR0-DR3 */

/* Why a VM stopped for its debugger (gdb's stop reply). */
enum dbg_stop {
	DBG_STOP_NONE,	    /* running, or not stopped by the debugger */
	DBG_STOP_INTERRUPT, /* Ctrl-C, an attach, gdb=wait: SIGINT */
	DBG_STOP_SWBREAK,   /* one of the debugger's INT3s: SIGTRAP, swbreak */
	DBG_STOP_HWBREAK,   /* an execution breakpoint in DR0-DR3: SIGTRAP, hwbreak */
	DBG_STOP_WATCH,	    /* a data breakpoint: SIGTRAP, watch/rwatch/awatch at addr */
	DBG_STOP_STEP,	    /* a single step ended: SIGTRAP */
	DBG_STOP_ENDED,	    /* the VM ended (exit status in vm->status): W or X */
};

enum dbg_hw_kind { DBG_HW_EXEC, DBG_HW_WRITE, DBG_HW_READ, DBG_HW_ACCESS };

/* Per-VM debugger state (vm->debug, NULL until the stub attaches). */
struct vm_debug {
	struct dbg_sw {
		bool used;
		u64 la, gpa; /* where gdb put it, and the RAM byte it replaced */
		u8 orig;
	} sw[DBG_SW_MAX];
	struct dbg_hw {
		bool used;
		enum dbg_hw_kind kind;
		u64 la;
		u8 len; /* 1, 2, 4 or 8 */
	} hw[DBG_HW_MAX];
	/* The stop, written by the vCPU that caused it (first one wins) before it pauses the VM,
	 * read by dbg_poll once the VM settled. */
	volatile enum dbg_stop stop;
	u32 stop_vcpu;		    /* index of the vCPU that stopped */
	u64 stop_addr;		    /* the data address of a watchpoint stop */
	enum dbg_hw_kind stop_kind; /* which kind of watchpoint */
};

/* Take the VM for debugging: allocate vm->debug (false if memory runs out). The VM is
 * paused (dbg_interrupt) by the caller. */
bool dbg_attach(struct vm *vm);
/* Remove every breakpoint, watchpoint and step, free vm->debug; the caller resumes the VM. */
void dbg_detach(struct vm *vm);

/* Ctrl-C: pause vm and record DBG_STOP_INTERRUPT (vCPU 0) unless a stop is already
 * recorded. NULL, or why not (the VM is not running). The pause takes effect when dbg_poll
 * says so. */
const char *dbg_interrupt(struct vm *vm);
/* Has vm stopped for the debugger since dbg_resume, with every vCPU off its CPU? Returns the
 * stop (DBG_STOP_NONE while it still runs or settles); fills *vcpu (index) and, for a
 * watchpoint, *addr and *kind. DBG_STOP_ENDED once the VM has ended. */
enum dbg_stop dbg_poll(struct vm *vm, u32 *vcpu, u64 *addr, enum dbg_hw_kind *kind);
/* Let vm run again: every vCPU continues, and step (if not NULL) executes one instruction
 * and stops the VM again (DBG_STOP_STEP). Clears the recorded stop. */
void dbg_resume(struct vm *vm, struct vcpu *step);

/* Guest memory for gdb's m/M packets, through v's page tables (phys: guest-physical
 * addresses instead). The debugger's INT3 bytes read as the bytes they replaced, and a write
 * over one changes the byte restored on removal. 0, or -1 with *why set (unmapped, not RAM). */
int dbg_read(struct vcpu *v, u64 addr, void *buf, size_t n, bool phys, const char **why);
int dbg_write(struct vcpu *v, u64 addr, const void *buf, size_t n, bool phys, const char **why);

/* gdb's Z0/z0: an INT3 at linear address la (through v's page tables). NULL, or why not (no
 * RAM there, MMIO, table full). Inserting one that is there or removing one that is not is
 * not an error (gdb does both). */
const char *dbg_sw_insert(struct vcpu *v, u64 la);
const char *dbg_sw_remove(struct vcpu *v, u64 la);
/* gdb's Z1-Z4/z1-z4: a DR0-DR3 slot for every vCPU of v's VM. len 1, 2, 4 or 8 (1 for
 * execution), la aligned to len (SDM 17.2.5). NULL, or why not (no free slot, bad length). */
const char *dbg_hw_insert(struct vm *vm, enum dbg_hw_kind kind, u64 la, u8 len);
const char *dbg_hw_remove(struct vm *vm, enum dbg_hw_kind kind, u64 la, u8 len);

/* The exit handlers the backends' tables point at (e->exc.vector 1 or 3, e->exc.dr6 for #DB
 * as the CPU would have written DR6: B0-B3, BD, BS). */
enum exit_action exit_debug(struct vcpu *v, struct vexit *e);
/* MOV to or from DR0-DR7 while DBG_CTL_DR is set (e->dr). */
enum exit_action exit_dr(struct vcpu *v, struct vexit *e);
/* After an exit that keel emulated and skipped while v steps: stop the VM there as the #DB of
 * the step would have (returns EXIT_RESCHED), else action unchanged. */
enum exit_action exit_step_check(struct vcpu *v, enum exit_action action);

#endif
