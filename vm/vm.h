/* Virtual machines and virtual CPUs: the state keel keeps for each guest, in plain structs
 * (no pointers into keel's memory in device state) so it could be saved and restored. */
#ifndef KEEL_VM_H
#define KEEL_VM_H

#include "vm/bus.h"
#include "kernel/spinlock.h"
#include "lib/types.h"
#include "mm/gmem.h"
#include "vm/vcpumsr.h"

#define VM_NAME_MAX    32
#define VM_MAX_VCPUS   16 /* the one vCPU limit: per-vCPU device state is sized by it too */
#define VM_CMDLINE_MAX 1024

/* General-purpose registers, indexed by their x86 encoding (0 rax, 1 rcx, 2 rdx, 3 rbx, 4 rsp,
 * 5 rbp, 6 rsi, 7 rdi, 8-15 r8-r15). The backends keep rsp in their control block: gpr[4] is
 * not maintained; use vcpu_get(v, VREG_RSP). */
struct guest_regs {
	u64 gpr[16];
};
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

/* Guest state reached through the backend (slow paths only). Segment attributes use the AMD
 * VMCB layout: bits 7:0 are descriptor bits 47:40 (type, S, DPL, P), bits 11:8 are descriptor
 * bits 55:52 (AVL, L, D/B, G). */
enum vreg {
	VREG_RIP,
	VREG_RSP,
	VREG_RFLAGS,
	VREG_CR0,
	VREG_CR2,
	VREG_CR3,
	VREG_CR4,
	VREG_EFER,
	VREG_PAT,
	VREG_CPL,
	VREG_CS_ATTR,
	VREG_ES_BASE,
	VREG_CS_BASE,
	VREG_SS_BASE,
	VREG_DS_BASE,
	VREG_FS_BASE,
	VREG_GS_BASE,
	VREG_CR8, /* the backend's copy of TPR[7:4], if it keeps one (AMD-V's V_TPR) */
	VREG_DR6, /* what the hardware's DR6 holds for the guest (exit/debug.c) */
};
#define SEG_ATTR_L  BIT(9)  /* 64-bit code segment */
#define SEG_ATTR_DB BIT(10) /* 32-bit default size */

struct seg {
	u16 sel, attr;
	u32 limit;
	u64 base;
};

/* The state a vCPU starts in (set by the image loader, applied by the backend). */
struct vcpu_boot_state {
	u64 gpr[16];
	u64 rip, rsp, rflags;
	u64 cr0, cr3, cr4, efer;
	struct seg es, cs, ss, ds, fs, gs, ldtr, tr;
	struct {
		u64 base;
		u32 limit;
	} gdtr, idtr;
};

/* An event to deliver to the guest at its next entry (SVM EVENTINJ / VMX entry
 * interruption-information share these type numbers). */
enum { EVENT_EXT_INTR = 0, EVENT_NMI = 2, EVENT_EXCEPTION = 3, EVENT_SOFT_INT = 4 };
struct vevent {
	bool pending;
	u8 vector, type;
	bool has_error;
	u32 error;
};

/* A vCPU's architectural state in a backend-neutral form (virt_ops state_get/state_set, for
 * snapshots: vm/vcpu_rec.c): what the VMCB, or the VMCS and what VT-x leaves to keel, holds
 * for the guest. The interrupt shadow uses VT-x's bits (SDM 24.4.2); AMD-V keeps one bit (APM
 * 15.21.5), read as STI and written from either. A segment whose attributes lack P (bit 7) is
 * unusable (VT-x AR bit 16). */
#define VSHADOW_STI    BIT(0)
#define VSHADOW_MOV_SS BIT(1)
struct vcpu_arch_state {
	u64 gpr[16]; /* gpr[RSP] is RSP */
	u64 rip, rflags;
	u64 cr0, cr2, cr3, cr4;
	u64 cr8; /* the backend's copy of TPR[7:4] (AMD-V V_TPR; 0 on VT-x) */
	u64 efer, pat, dr6, dr7;
	u64 debugctl;	 /* VT-x's guest DEBUGCTL (0 on AMD-V, which keeps none) */
	u64 pending_dbg; /* VT-x's pending debug exceptions (SDM 24.4.2; 0 on AMD-V) */
	struct seg es, cs, ss, ds, fs, gs, ldtr, tr;
	struct seg gdtr, idtr; /* base and limit */
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	u32 shadow;	  /* VSHADOW_* */
	bool nmi_blocked; /* an NMI handler runs: NMIs wait for its IRET */
	/* An event written into the entry's injection field (EVENTINJ, VM-entry interruption
	 * information) and not delivered yet. The event that was being delivered when the last
	 * exit came (EXITINTINFO, IDT-vectoring information) is already v->event by then. */
	struct vevent inject;
};

/* Exit kinds, for the per-vCPU counters and the end-of-run summary. */
enum exit_kind {
	EXK_CPUID,
	EXK_MSR,
	EXK_IO,
	EXK_MMIO,
	EXK_NPF,
	EXK_HLT,
	EXK_HYPERCALL,
	EXK_INTR,
	EXK_CR,
	EXK_VIRT_INSN,
	EXK_SHUTDOWN,
	EXK_EXCEPTION,
	EXK_OTHER,
	EXIT_KINDS
};
extern const char *const exit_kind_names[EXIT_KINDS];

/* RUNNABLE: wants a CPU (queued or running). HALTED: waits for an interrupt or a timer.
 * WAIT_SIPI: reset by INIT, waits for a start-up IPI. STOPPED: done. */
enum vcpu_state { VCPU_RUNNABLE, VCPU_HALTED, VCPU_WAIT_SIPI, VCPU_STOPPED };

/* A virtual device's timer on a vCPU: fire() runs on that vCPU's CPU once the host TSC passes
 * deadline (0: disarmed). A device asks for its slot when it attaches (vcpu_timer_alloc). */
typedef void vtimer_fn(struct vcpu *v, void *dev);
struct vtimer {
	u64 deadline;
	vtimer_fn *fire;
	void *dev;
};
#define VCPU_TIMERS_MAX 8 /* timer slots per vCPU, for all the devices that ask */

struct vm;
struct virq_ops;
struct vm_devices;
struct cpuid_table;
struct vm_debug;

/* v->dbg.ctl bits, set by the debugger (exit/debug.h): what the backend intercepts or does
 * for this vCPU at its next entry. */
#define DBG_CTL_BP BIT(0) /* intercept #BP (INT3): exit_debug */
#define DBG_CTL_DB BIT(1) /* intercept #DB: exit_debug, e->exc.dr6 the cause */
/* The hardware's DR0-DR3 and DR7 are the debugger's (vm->dbg_dr, dbg_dr7) while the guest
 * runs; the guest's MOV DR is intercepted (exit_dr) and uses its own v->dr[], v->dbg.dr6/dr7. */
#define DBG_CTL_DR BIT(2)
/* Exit after one instruction (RFLAGS.TF hidden from the guest, or VT-x's monitor trap flag);
 * no interrupt is injected meanwhile. */
#define DBG_CTL_STEP BIT(3)

/* The KVM paravirtual clock's MSRs as this vCPU's guest last wrote them (vm/kvmclock.c). Only
 * the vCPU's running CPU touches them. */
struct kvmclock {
	u64 system_msr; /* MSR_KVM_SYSTEM_TIME_NEW: the time structure's address, bit 0 enable */
	u64 wall_msr;	/* MSR_KVM_WALL_CLOCK_NEW: the last wall-clock address */
	u32 version;	/* of the time structure: odd while keel writes it */
	u32 filled_on;	/* the host CPU it was last filled on (~0: not since it was enabled) */
	bool active;	/* enabled at an address inside RAM */
};

/* Which CPU may touch what. A vCPU's guest registers, control block, event and counters are
 * its running CPU's alone. The fields below marked "shared" are read by other CPUs (the
 * scheduler, the stuck-VM check, wakers, IPIs), and each names the lock or protocol that makes
 * that safe. "home" is the lock of rqs[v->home] in vm/sched.c (lock_home). Lock order: the
 * VM's device lock, then a run queue's lock; timer_lock is innermost (taken under either). */
struct vcpu {
	struct guest_regs regs; /* first: the world-switch stubs address it directly */
	struct vm *vm;
	u32 id;
	/* shared: changed only under home, except RUNNABLE -> HALTED by the vCPU's own CPU while
	 * running_on says it is on that CPU (sched_halt); read under home to judge it (stop_stuck),
	 * or with one atomic load as a hint that is then checked under home (sched_wake). */
	volatile enum vcpu_state state;
	struct vevent event;
	void *arch; /* the backend's per-vCPU state */
	u32 cpu;    /* host CPU it last ran on (~0 before its first run) */
	/* exits, guest_tsc, cpu and ran_on: only the running CPU writes them; the summary reads
	 * them once every vCPU has stopped. */
	u64 exits[EXIT_KINDS];
	u64 guest_tsc; /* TSC ticks spent in the guest */
	/* interrupts (vm/virq.c) */
	/* shared, atomic: set by any waker (release) before it calls sched_wake; exchanged to 0
	 * only by the running CPU before it asks the controller (vcpu_pre_entry). */
	volatile u32 irq_pending;
	volatile bool nmi_pending; /* shared, atomic: set by any CPU, cleared by the running one */
	/* shared: INIT arrived, or HLT with interrupts off: set under home (or by the vCPU's own
	 * CPU), consumed under home by run() when the vCPU leaves its CPU (it then waits for a
	 * SIPI). sipi_vector: a SIPI that came while it was still on its CPU, + 1 (0: none). */
	volatile bool init_pending;
	u32 sipi_vector;
	/* shared: timers[] and next_deadline change only under timer_lock (a leaf lock); a timer
	 * that expires is claimed (disarmed) under it, then fired outside it, so it fires once
	 * whichever CPUs look. next_deadline is also read with atomic loads without the lock. */
	struct spinlock timer_lock;
	struct vtimer timers[VCPU_TIMERS_MAX];
	u32 ntimers;	   /* slots handed out (at attach, before the vCPU first runs) */
	u64 next_deadline; /* the earliest armed timer, 0 if none */
	/* scheduling (vm/sched.c) */
	u32 home; /* shared: CPU whose run queue holds it; changes under both run queues' locks */
	/* shared: CPU running it now, -1 if none: set (release) by the CPU that picked it, set to
	 * -1 under home when it leaves; while >= 0 no other CPU touches its control block. */
	volatile s32 running_on;
	bool queued;	      /* under home */
	u64 ran_on;	      /* mask of the host CPUs it has run on */
	u64 slice_end;	      /* TSC at which its current turn on the CPU ends */
	u64 vruntime;	      /* under home while queued: weighted time run, the least runs next */
	struct vcpu *rq_next; /* under home */
	struct vcpu *home_next; /* under home: all vCPUs homed on one CPU */
	u64 queued_tsc;		/* under home: when it was last queued */
	u64 steal_tsc;		/* under home: TSC ticks it waited queued for a CPU */
	/* Extended state (vm/cpustate.c): the XSAVE image (FXSAVE's on a host without XSAVE)
	 * while the vCPU is off the CPU, 64-byte aligned inside xsave_mem; xcr0 is the guest's
	 * XCR0, in the hardware while the vCPU holds its CPU. */
	u8 *xsave;
	void *xsave_mem;
	u64 xcr0;
	u64 dr[4]; /* DR0-DR3 while the vCPU is off the CPU (the guest's, whatever dbg.ctl) */
	/* A debugger's hold on this vCPU (exit/debug.h): ctl (DBG_CTL_*) is written by CPU 0
	 * while the VM is paused and read by the backend before each entry; dr6 and dr7 are the
	 * guest's own values while DBG_CTL_DR gives the hardware's to the debugger. */
	struct {
		u32 ctl;
		u64 dr6, dr7;
	} dbg;
	/* The guest's TSC (exit/msr.c): RDTSC gives the host's TSC + tsc_offset, which the
	 * backends load into the VMCB or VMCS before each entry; tsc_adjust is IA32_TSC_ADJUST;
	 * tsc_aux is IA32_TSC_AUX, loaded into the CPU with DR0-DR3 at each turn (vm/sched.c).
	 * Only the running CPU writes them. */
	u64 tsc_offset, tsc_adjust, tsc_aux;
	struct kvmclock kvmclock;
	struct vcpu_msrs msrs; /* MTRRs, SPEC_CTRL (exit/msr_cpu.c); only the running CPU */
};

/* What a VM is given besides CPUs and RAM (README "VM definitions"), fixed when it is created:
 * its disks (multiboot modules, read by its virtio-blk devices), its NICs (one per switch), its
 * console and its entropy source. */
#define VM_DISKS_MAX  8
#define VM_NICS_MAX   4
#define VM_SWITCH_MAX 16 /* bytes of a switch's name, with its NUL */
struct vm_hw {
	u32 ndisks;
	struct vm_disk {
		const u8 *data; /* the module's bytes: never written (writes go to a copy) */
		u64 len;
		bool ro;
		char name[64]; /* the module's path, for messages */
	} disk[VM_DISKS_MAX];
	u32 nnics;
	struct vm_nic {
		char sw[VM_SWITCH_MAX];
		u8 mac[6];
	} nic[VM_NICS_MAX];
	bool virtio_console; /* console=virtio: hvc0 takes keel's console input */
	bool rng;	     /* a virtio-rng device (rng=no turns it off) */
};

/* CREATED: defined with start=no, waiting for vm-start. DESTROYED: ended and freed by
 * vm-destroy (it stays in vm_list, which is walked without locks, with no vCPUs or RAM). */
enum vm_state { VM_CREATED, VM_RUNNING, VM_STOPPED, VM_DESTROYED };

/* How a VM ended. */
enum vm_end {
	VM_END_NONE,
	VM_END_EXIT,	 /* the guest asked: debug-exit port or exit hypercall, with a status */
	VM_END_SHUTDOWN, /* triple fault */
	VM_END_HALTED,	 /* HLT with interrupts off, or every vCPU halted with nothing to wake it */
	VM_END_ERROR,	 /* keel could not continue it (bad state, unsupported exit...) */
	VM_END_POWEROFF, /* the guest powered itself off (ACPI S5) */
	VM_END_RESET,	 /* the guest reset itself, and on_reset=restart was not given */
	VM_END_DESTROYED /* ended by vm-destroy */
};

struct vm {
	char name[VM_NAME_MAX];
	u32 id;
	enum vm_state state;
	struct gmem mem;
	u32 nvcpus;
	struct vcpu *vcpu[VM_MAX_VCPUS];
	struct bus io, mmio;
	struct vm_devices *dev; /* its devices' state: the platform's (vdev/vdevs.h) */
	struct vm_hw hw;	/* its disks, NICs, console (set before its devices attach) */
	struct cpuid_table
		*cpuid; /* its fixed CPUID answers, filled before it runs (exit/cpuid.h) */
	/* held around every access to the VM-wide devices (dev_lock, vm/bus.c) */
	struct spinlock devlock;
	u64 unknown_ports[1024]; /* one bit per port: unknown ports are logged once (exit/io.c) */
	char cmdline[VM_CMDLINE_MAX];
	void *arch;				    /* the backend's per-VM state */
	const struct virq_ops *irqc;		    /* its interrupt controller */
	bool (*console_input)(struct vm *vm, u8 c); /* where keel's console input goes: false
						     * when the device cannot take it yet */
	volatile bool console_wakes;		    /* console input would interrupt the guest */
	/* the end */
	enum vm_end end;
	u64 status;
	char why[160];
	u64 overhead; /* bytes keel spends on this VM beyond its RAM */
	u64 start_tsc, stop_tsc;
	/* The paravirtual clock's zero (vm/kvmclock.c): the host TSC at which it reads 0 and the
	 * Unix time its wall clock gives for that moment. Set when the VM is created; a snapshot
	 * load moves them so that the guest's time goes on from the snapshot's (vm/vcpu_rec.c). */
	u64 clock_zero_tsc, clock_zero_unix;
	/* scheduling */
	bool on_reset_restart;	    /* a guest reset restarts the VM instead of ending it */
	volatile u32 reset_pending; /* 1: a reset is under way, 2: being carried out */
	u32 restarts;
	struct guest_image *image; /* what to load again on a restart */
	u32 weight;		   /* share of CPU against other VMs (default 256) */
	u32 cap; /* at most this percent of one CPU, summed over its vCPUs; 0: no cap */
	u64 pin; /* CPUs its vCPUs may run on (bit n: CPU n) */
	/* The stuck-VM check's protocol (vm/sched.c, stop_stuck): whatever may wake one of
	 * this VM's vCPUs (arming a timer, raising an interrupt, making a vCPU runnable) bumps
	 * wake_gen, and whatever takes a wake-up source away before it delivers it (a timer being
	 * fired) holds wake_busy above 0 meanwhile. A check that saw wake_gen change or wake_busy
	 * set while it looked has seen no consistent picture and judges nothing. */
	volatile u64 wake_gen;
	volatile u32 wake_busy;
	/* vm_pause (vm/vmctl.c): while set, no vCPU of the VM is picked and none of its timers
	 * fires; its vCPUs keep their states (a wake-up while paused makes one runnable, which
	 * then waits). */
	volatile bool paused;
	/* Its debugger (exit/debug.h), NULL when none is attached; debug_wait: gdb=wait on its
	 * definition, it is held before its first instruction until gdb attaches. */
	struct vm_debug *debug;
	bool debug_wait;
	/* What the hardware's DR0-DR3 and DR7 hold for the debugger's breakpoints while a vCPU
	 * has DBG_CTL_DR (exit/debug.c writes them with the VM paused). */
	u64 dbg_dr[4], dbg_dr7;
	u64 stats_tsc, stats_exits; /* query-stats' previous look: when, and the exits then */
	volatile u64 cap_used;	    /* TSC ticks used in the current cap period */
	volatile u64 cap_epoch;	    /* which cap period cap_used counts */
	struct vm *next;
};

extern struct vm *vm_list;

/* Something that may wake a vCPU of vm happened (see wake_gen). */
static inline void vm_wake_bump(struct vm *vm)
{
	__atomic_fetch_add(&vm->wake_gen, 1, __ATOMIC_SEQ_CST);
}

/* A wake-up source of vm is being consumed (begin) and delivered (end): see wake_busy. */
static inline void vm_wake_begin(struct vm *vm)
{
	__atomic_fetch_add(&vm->wake_busy, 1, __ATOMIC_SEQ_CST);
}

static inline void vm_wake_end(struct vm *vm)
{
	vm_wake_bump(vm);
	__atomic_fetch_sub(&vm->wake_busy, 1, __ATOMIC_SEQ_CST);
}

/* Create a VM with ram bytes of memory and ncpus vCPUs; NULL (logged) if it does not fit.
 * paged: its RAM has no frames yet, the caller gives them (a clone: vm/snapmem.h). */
struct vm *vm_create(const char *name, u64 ram, u32 ncpus, const struct vm_hw *hw,
		     bool (*attach)(struct vm *vm), bool paged);
void vm_destroy(struct vm *vm);
/* vm-destroy's last step (vm has ended, no vCPU of it is on a CPU or a run queue, and its
 * devices have let go of what they held): free its vCPUs, RAM and device state and mark it
 * VM_DESTROYED; it stays in vm_list. */
void vm_free(struct vm *vm);
/* End the VM: every vCPU stops at its next exit. The first reason given is kept. */
void vm_stop(struct vm *vm, enum vm_end end, u64 status, const char *fmt, ...) __printf(4, 5);
/* A guest asked for a reset (keyboard controller, port 0xcf9, ACPI reset register) or for
 * power-off (ACPI S5). Devices call these; the VM ends, or restarts with on_reset=restart. */
void vm_request_reset(struct vm *vm);
void vm_request_poweroff(struct vm *vm);

/* Carry out a pending restart once no vCPU of vm runs: clear its RAM, reload its images,
 * reset its devices. The loader's (loader/vmconfig.c), which sets it before any VM starts;
 * the life cycle calls it (a call down the layers through a pointer). */
extern void (*vm_reload)(struct vm *vm);

/* The device that takes keel's console input when this VM has the console. */
static inline void vm_set_console_input(struct vm *vm, bool (*input)(struct vm *vm, u8 c))
{
	vm->console_input = input;
}

/* What happened to a VM, for the management API's events (mgmt/api.c). */
enum vm_event {
	VM_EV_END,	/* it ended (vm->end and vm->why say how): triple fault, power-off, ... */
	VM_EV_RESET,	/* the guest reset it and it restarts (on_reset=restart, system_reset) */
	VM_EV_PAUSED,	/* vm_pause */
	VM_EV_RESUMED,	/* vm_resume */
	VM_EV_POWERDOWN /* its power button was pressed (system_powerdown) */
};
/* Report e about vm to the sink the API registered (none: nothing). Any CPU; the sink only
 * queues it. */
void vm_event(struct vm *vm, enum vm_event e);
void vm_set_event_sink(void (*sink)(struct vm *vm, enum vm_event e));

/* True once every vCPU of vm has stopped. */
bool vm_all_vcpus_stopped(const struct vm *vm);
/* True when no vCPU of vm can run again by itself: each is stopped or waits for a SIPI. */
bool vm_all_vcpus_asleep(const struct vm *vm);
/* A VM definition or image was refused (logged by the caller): the run then ends with status
 * 1 (README "Run status"), though the other VMs run. */
void vm_count_refused(void);
/* Log the end-of-run summary; returns keel's run status (0 only if every VM exited 0 and
 * nothing was refused). */
int vm_summary(void);

/* Backend-neutral access to a vCPU's guest state (through the ops table). */
u64 vcpu_get(struct vcpu *v, enum vreg r);
void vcpu_set(struct vcpu *v, enum vreg r, u64 val);
void vcpu_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error);
static inline void vcpu_inject_ud(struct vcpu *v)
{
	vcpu_inject_exception(v, 6, false, 0);
}
static inline void vcpu_inject_gp(struct vcpu *v, u32 error)
{
	vcpu_inject_exception(v, 13, true, error);
}

/* The state of vm's device with these ops (vm/bus.h), NULL if vm has none. */
static inline void *vm_device(const struct vm *vm, const struct vdev_ops *ops)
{
	return vm_devices_find(vm->dev, ops);
}

/* An event that was being delivered when an exit came and that its instruction raises again
 * when it runs again: INT n (type 4), INT1 (VT-x type 5), INT3 and INTO (VT-x type 6; AMD-V
 * reports them as exceptions 3 and 4, which only they raise). RIP is still that instruction,
 * so it is not re-injected (SDM 27.2.4, APM 15.20): injected, the guest would take it twice on
 * AMD-V, and VT-x would need the instruction's length. */
static inline bool vevent_runs_again(const struct vevent *e)
{
	return (e->type >= EVENT_SOFT_INT && e->type <= 6) ||
	       (e->type == EVENT_EXCEPTION && (e->vector == 3 || e->vector == 4));
}

#endif
