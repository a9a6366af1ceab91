/* User mode (see user.h). The GDT keeps keel's guest layout (0x08 64-bit code, 0x10 data,
 * 0x18 32-bit code) and adds user data 0x23, user code 0x2b and the TSS at 0x30; the TSS gives
 * the CPL-0 stack an INT from CPL 3 switches to (SDM 7.7; 8.7 in 64-bit mode). */
#include "user.h"
#include "trap.h"

#define SEL_CODE (sizeof(void *) == 8 ? 0x08 : 0x18)
#define SEL_DATA 0x10
#define SEL_TSS	 0x30

#if defined(__x86_64__)
struct tss {
	u32 rsvd0;
	u64 rsp0, rsp1, rsp2, rsvd1, ist[7], rsvd2;
	u16 rsvd3, iomap;
} __attribute__((packed));
#define USER_CODE 0x00affb000000ffffull /* 64-bit, DPL 3 */
#else
struct tss {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags, gpr[8], seg[6], ldt;
	u16 trap, iomap;
} __attribute__((packed));
#define USER_CODE 0x00cffb000000ffffull /* 32-bit, DPL 3 */
#endif
_Static_assert(sizeof(struct tss) == 104, "TSS layout");

static u64 gdt[8] __attribute__((aligned(16))) = {
	0,
	0x00af9b000000ffffull, /* 0x08: 64-bit code */
	0x00cf93000000ffffull, /* 0x10: data */
	0x00cf9b000000ffffull, /* 0x18: 32-bit code */
	0x00cff3000000ffffull, /* 0x23: user data */
	USER_CODE,	       /* 0x2b: user code */
};
static struct tss tss;
static u8 kernel_stack[4096] __attribute__((aligned(16)));
static u8 user_stack[4096] __attribute__((aligned(16)));

/* In user32.S / user64.S. */
uintptr_t user_enter(void (*fn)(void), void *sp);
void user_return(void);

/* Set the U bit down the identity map of the first GiB (paging is off in 32-bit guests). */
static void user_pages(void)
{
#if defined(__x86_64__)
	uintptr_t cr3;
	const u64 addr = 0x000ffffffffff000ull;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	u64 *pml4 = (u64 *)(cr3 & addr);
	pml4[0] |= 4;
	u64 *pdpt = (u64 *)(uintptr_t)(pml4[0] & addr);
	pdpt[0] |= 4;
	u64 *pd = (u64 *)(uintptr_t)(pdpt[0] & addr);
	for (int i = 0; i < 512; i++)
		pd[i] |= 4;
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
#endif
}

void user_init(void)
{
	u64 base = (uintptr_t)&tss, limit = sizeof(tss) - 1;
	/* available TSS (type 9), present */
	gdt[6] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
		 ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[7] = base >> 32;
#if defined(__x86_64__)
	tss.rsp0 = (uintptr_t)(kernel_stack + sizeof(kernel_stack));
#else
	tss.esp0 = (uintptr_t)(kernel_stack + sizeof(kernel_stack));
	tss.ss0 = SEL_DATA;
#endif
	tss.iomap = sizeof(tss); /* no I/O bitmap: IN/OUT at CPL 3 fault */
	struct {
		u16 limit;
		uintptr_t base;
	} __attribute__((packed)) gdtr = {sizeof(gdt) - 1, (uintptr_t)gdt};
	__asm__ volatile("lgdt %0" ::"m"(gdtr));
#if defined(__x86_64__)
	__asm__ volatile("pushq %0; lea 1f(%%rip), %%rax; pushq %%rax; lretq; 1:" ::"i"(SEL_CODE)
			 : "rax", "memory");
#else
	__asm__ volatile("ljmp %0, $1f; 1:" ::"i"(SEL_CODE) : "memory");
#endif
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" ::"r"(SEL_DATA));
	__asm__ volatile("ltr %0" ::"r"((u16)SEL_TSS));
	trap_set_gate(USER_INT, user_return, 3);
	user_pages();
}

uintptr_t user_run(void (*fn)(void))
{
	return user_enter(fn, user_stack + sizeof(user_stack));
}
