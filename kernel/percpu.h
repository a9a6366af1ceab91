/* Per-CPU data, reached through GS: %gs:0 holds a pointer to this CPU's struct cpu. */
#ifndef KEEL_PERCPU_H
#define KEEL_PERCPU_H

#include "lib/types.h"

#define MAX_CPUS 64

/* 64-bit TSS (SDM 8.7). */
struct tss64 {
	u32 reserved0;	/* 0x00 */
	u64 rsp[3];	/* 0x04 */
	u64 reserved1;	/* 0x1c */
	u64 ist[7];	/* 0x24: ist[0] is IST1 */
	u64 reserved2;	/* 0x5c */
	u16 reserved3;	/* 0x64 */
	u16 iomap_base; /* 0x66 */
} __packed;
_Static_assert(sizeof(struct tss64) == 0x68, "TSS layout");

/* GDT selectors, the same on every CPU. */
#define SEL_CODE64  0x08
#define SEL_DATA    0x10
#define SEL_TSS	    0x18 /* takes two slots */
#define GDT_ENTRIES 5

struct vcpu;

struct cpu {
	struct cpu *self; /* %gs:0 */
	u32 id;		  /* keel's index: 0 is the boot CPU */
	u32 apic_id;
	bool online;
	u64 gdt[GDT_ENTRIES] __aligned(8);
	struct tss64 tss __aligned(16);
	u64 stack_top;		    /* the stack this CPU runs keel on */
	struct vcpu *vcpu;	    /* the vCPU it is running, if any */
	struct vcpu *fpu_owner;	    /* whose FPU/SSE state is in the registers */
	volatile bool need_resched; /* set by the scheduler tick */
	void *virt;		    /* the backend's per-CPU state (host save area, VMXON region) */
};

extern struct cpu cpus[MAX_CPUS];
extern u32 ncpus;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

/* Point GS at cpus[id] on the running CPU. */
void percpu_init(u32 id);
/* Load this CPU's GDT, TSS and keel's IDT. */
void gdt_init(struct cpu *c, u64 df_stack, u64 nmi_stack);

#endif
