/* Per-CPU GDT and TSS. keel runs only in ring 0, so the GDT holds a 64-bit code segment, a data
 * segment and the TSS, whose IST stacks catch double faults and NMIs on a known-good stack. */
#include "kernel/percpu.h"
#include "kernel/spinlock.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "mm/mm.h"

struct cpu cpus[MAX_CPUS];
u32 ncpus = 1;

u32 cpu_id_for_lock(void)
{
	return this_cpu()->id;
}

void percpu_init(u32 id)
{
	struct cpu *c = &cpus[id];
	c->self = c;
	c->id = id;
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)c);
}

/* Static IST stacks for the boot CPU, each above an unmapped guard page (see mm_init). */
__attribute__((section(".bss.pagealigned"))) u8 bsp_ist_stacks[2][2][4096] __aligned(4096);

void gdt_init(struct cpu *c)
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

	if (c->id == 0) {
		c->tss.ist[IST_DF - 1] = (u64)(uintptr_t)&bsp_ist_stacks[0][1][4096];
		c->tss.ist[IST_NMI - 1] = (u64)(uintptr_t)&bsp_ist_stacks[1][1][4096];
	} else {
		c->tss.ist[IST_DF - 1] = stack_alloc(1);
		c->tss.ist[IST_NMI - 1] = stack_alloc(1);
	}

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
