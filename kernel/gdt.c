/* The per-CPU GDT and TSS. keel runs only in ring 0, so the GDT holds a 64-bit code segment, a data
 * segment and the TSS, whose IST stacks catch double faults and NMIs on a known-good stack. */
#include "kernel/percpu.h"
#include "kernel/spinlock.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

void gdt_init(struct cpu *c, u64 df_stack, u64 nmi_stack)
{
	c->gdt[0] = 0;
	c->gdt[1] = 0x00209b0000000000ull; /* 64-bit code, DPL 0, accessed */
	c->gdt[2] = 0x0000930000000000ull; /* data, writable, accessed */
	/* 64-bit TSS descriptor (SDM 8.2.3): type 9 (available), present. */
	u64 base = (u64)(uintptr_t)&c->tss, limit = sizeof(c->tss) - 1;
	c->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		    ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	c->gdt[4] = base >> 32;
	c->tss.iomap_base = sizeof(c->tss); /* no I/O bitmap */

	c->tss.ist[IST_DF - 1] = df_stack;
	c->tss.ist[IST_NMI - 1] = nmi_stack;

	struct {
		u16 limit;
		u64 base;
	} __packed gdtr = {sizeof(c->gdt) - 1, (u64)(uintptr_t)c->gdt};
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ds\n\t"
			 "movw %w2, %%es\n\t"
			 "movw %w2, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(gdtr), "i"(SEL_CODE64), "r"(SEL_DATA), "r"(SEL_TSS)
			 : "rax", "memory");
	idt_load();
}
