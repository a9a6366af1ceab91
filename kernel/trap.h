/* Interrupts and exceptions taken by keel itself (not by guests). */
#ifndef KEEL_TRAP_H
#define KEEL_TRAP_H

#include "lib/types.h"

/* The frame kernel/isr.S builds: GPRs pushed by the stub, then vector and error code, then
 * what the CPU pushed. Offsets are checked against isr.S's push order in trap.c. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};

/* IST slots (1-based, as the IDT gate names them). */
#define IST_DF	1
#define IST_NMI 2

/* Vectors keel uses for its own interrupts. */
#define VEC_TIMER    0xf0 /* LAPIC timer: scheduler tick */
#define VEC_IPI	     0xf1 /* cross-CPU kick: leave the guest */
#define VEC_RESCHED  0xf2 /* cross-CPU kick: leave the guest and reschedule */
#define VEC_CONSOLE  0xf3 /* the console UART's IRQ, on CPU 0 */
#define VEC_API	     0xf4 /* the management API's UART IRQ, on CPU 0 */
#define VEC_SPURIOUS 0xff

typedef void (*irq_handler_t)(struct trap_frame *f);

void idt_init(void);
void idt_load(void);
/* The IDT's address, for the VT-x host state. */
u64 idt_base(void);
void irq_register(u8 vector, irq_handler_t h);
/* Print a full report of frame f (registers, control registers, backtrace). */
void trap_report(const struct trap_frame *f);
/* Print a backtrace from frame pointer rbp. */
void backtrace(u64 rbp);

#endif
