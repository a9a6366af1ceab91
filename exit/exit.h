/* The exit path: a backend decodes its exit into a small struct vexit and calls one shared
 * handler; the handler decides and returns what happens next. What an exit means is written
 * once, here and in the other files of exit/, for both backends.
 *
 * Nothing on this path logs, allocates or takes a global lock in the common case; counters are
 * per vCPU. Rare paths (a VM stopping, a first unknown port) may log. */
#ifndef KEEL_EXIT_H
#define KEEL_EXIT_H

#include "lib/types.h"

struct vcpu;
struct vm;

enum exit_action {
	EXIT_RESUME,  /* re-enter the guest */
	EXIT_RESCHED, /* let the scheduler pick what runs next (yield, halt, time slice over) */
	EXIT_STOP,    /* the VM has stopped (vm_stop was called) */
};

struct vexit {
	u64 reason;  /* the backend's raw exit code, for logs */
	u64 qual;    /* the backend's raw qualification, for logs */
	u8 insn_len; /* length of the exiting instruction, 0 if unknown */
	bool skip;   /* set by the handler: resume after the instruction */
	union {
		struct {
			u16 port;
			u8 size; /* 1, 2 or 4 */
			bool in, string, rep;
			u8 addr_size; /* string I/O: 2, 4 or 8 */
		} io;
		struct {
			bool write;
		} msr;
		struct {
			u64 gpa;
			bool write, fetch;
		} npf;
		struct {
			u8 cr;
			bool read;  /* MOV from CRn into gpr (else a write of value) */
			bool fetch; /* the backend could not say: decode the instruction at RIP */
			u8 gpr;	    /* the register operand of a MOV */
			u64 value;  /* what the guest writes */
		} cr;
		struct {
			u8 vector;
			u64 dr6; /* #DB: the causes, as DR6 would hold them (exit/debug.h) */
		} exc;
		struct {
			u8 dr;	   /* DR0-DR7 */
			bool read; /* MOV from DRn into gpr (else from gpr into DRn) */
			u8 gpr;
		} dr;
	};
};

typedef enum exit_action (*exit_handler_fn)(struct vcpu *v, struct vexit *e);

/* The shared handlers the backends' exit tables point at. */
enum exit_action exit_cpuid(struct vcpu *v, struct vexit *e);
/* Give a new VM what the exit handlers keep per VM (its fixed CPUID answers); false if memory
 * runs out. Before its vCPUs run. */
bool exit_vm_attach(struct vm *vm);
enum exit_action exit_msr(struct vcpu *v, struct vexit *e);
enum exit_action exit_io(struct vcpu *v, struct vexit *e);
enum exit_action exit_npf(struct vcpu *v, struct vexit *e);
enum exit_action exit_hlt(struct vcpu *v, struct vexit *e);
enum exit_action exit_hypercall(struct vcpu *v, struct vexit *e);
enum exit_action exit_intr(struct vcpu *v, struct vexit *e);
enum exit_action exit_shutdown(struct vcpu *v, struct vexit *e);
enum exit_action exit_virt_insn(struct vcpu *v, struct vexit *e);
enum exit_action exit_xsetbv(struct vcpu *v, struct vexit *e);
enum exit_action exit_cr(struct vcpu *v, struct vexit *e);
enum exit_action exit_ignore(struct vcpu *v, struct vexit *e);
enum exit_action exit_timeslice(struct vcpu *v, struct vexit *e);
enum exit_action exit_irq_window(struct vcpu *v, struct vexit *e);
enum exit_action exit_task_switch(struct vcpu *v, struct vexit *e);
enum exit_action exit_rdpmc(struct vcpu *v, struct vexit *e); /* exit/msr_cpu.c */
/* The CR4 bits a guest may set: those of the features keel's CPUID shows it (exit/cpuid.c). */
u64 guest_cr4_allowed(void);
/* An exit keel does not expect: dump the control block and stop that VM. */
enum exit_action exit_unexpected(struct vcpu *v, struct vexit *e);

#endif
