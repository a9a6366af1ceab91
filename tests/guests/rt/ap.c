/* Application processors the PC way (SDM vol. 3 8.4.4.1): the BSP copies a real-mode
 * trampoline to 0x8000 and sends INIT, then two start-up IPIs with vector 0x08, to an APIC id.
 * The trampoline takes the AP to protected mode and (in the ELF64 build) on to long mode on
 * the BSP's page tables, then to ap_main(), which takes the BSP's GDT, segments and IDT and
 * calls the guest's function. One start at a time (they share the trampoline); APIC ids 1-3
 * each have a stack of their own. */
#include "ap.h"
#include "apic.h"

#define TRAMP	 0x8000u /* where the trampoline runs: SIPI vector 0x08 */
#define SIPI_VEC (TRAMP >> 12)

/* The BSP's descriptor tables and segments: the AP adopts them, since the IDT's gates name the
 * BSP's code selector. */
static struct {
	u16 limit;
	uintptr_t base;
} __attribute__((packed)) idtr, gdtr;
static u16 bsp_cs, bsp_ds;
#define AP_MAX 4 /* APIC ids 1-3 have their own stacks */
static u8 ap_stack[AP_MAX][8192] __attribute__((aligned(16)));

/* The trampoline, as a blob the BSP copies to TRAMP: it runs at CS:IP 0800:0000, so every
 * address in it is TRAMP + (label - tramp_start). The BSP fills tr_stack (and in 64-bit mode
 * tr_cr3, tr_cr4, tr_efer) in the copy. */
/* clang-format off */
#define TR(x) "(0x8000 + " #x " - tramp_start)"
__asm__(".section .rodata.tramp, \"a\"\n"
	".globl tramp_start, tramp_end, tr_stack, tr_cr3, tr_cr4, tr_efer\n"
	".code16\n"
	"tramp_start:\n"
	"	cli\n"
	"	mov %cs, %ax\n"
	"	mov %ax, %ds\n"
	"	lgdtl tr_gdtr - tramp_start\n" /* DS-relative: DS = CS = 0x0800 */
	"	mov %cr0, %eax\n"
	"	or $1, %eax\n" /* PE */
	"	mov %eax, %cr0\n"
	"	ljmpl $0x08, $" TR(tr_pm) "\n"
	".code32\n"
	"tr_pm:\n"
	"	mov $0x10, %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %es\n"
	"	mov %ax, %ss\n"
	"	mov %ax, %fs\n"
	"	mov %ax, %gs\n"
	"	mov " TR(tr_stack) ", %esp\n"
#if defined(__x86_64__)
	/* Long mode (SDM 9.8.5): CR4.PAE, CR3, EFER.LME, then CR0.PG; a far jump into 64-bit
	 * code in the guest's text. */
	"	mov " TR(tr_cr4) ", %eax\n"
	"	mov %eax, %cr4\n"
	"	mov " TR(tr_cr3) ", %eax\n"
	"	mov %eax, %cr3\n"
	"	mov $0xc0000080, %ecx\n"
	"	mov " TR(tr_efer) ", %eax\n"
	"	xor %edx, %edx\n"
	"	wrmsr\n"
	"	mov %cr0, %eax\n"
	"	or $0x80000001, %eax\n"
	"	mov %eax, %cr0\n"
	"	ljmpl $0x18, $ap_entry64\n"
#else
	"	mov $ap_main, %eax\n"
	"	call *%eax\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n"
#endif
	"	.balign 8\n"
	"tr_gdt:\n"
	"	.quad 0\n"
	"	.quad 0x00cf9b000000ffff\n" /* 0x08: flat 32-bit code */
	"	.quad 0x00cf93000000ffff\n" /* 0x10: flat data */
	"	.quad 0x00af9b000000ffff\n" /* 0x18: 64-bit code */
	"tr_gdtr:\n"
	"	.word tr_gdtr - tr_gdt - 1\n"
	"	.long " TR(tr_gdt) "\n"
	"	.balign 4\n"
	"tr_stack: .long 0\n"
	"tr_cr3: .long 0\n"
	"tr_cr4: .long 0\n"
	"tr_efer: .long 0\n"
	"tramp_end:\n"
#if defined(__x86_64__)
	".code64\n"
	".text\n"
	"ap_entry64:\n"
	"	mov " TR(tr_stack) ", %esp\n" /* zero-extends into RSP */
	"	and $-16, %rsp\n"
	"	call ap_main\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n"
#else
	".code32\n"
#endif
	".text\n");
/* clang-format on */
extern const u8 tramp_start[], tramp_end[], tr_stack[], tr_cr3[], tr_cr4[], tr_efer[];

static void (*volatile ap_fn)(void);

/* The application vCPU, on its own stack: the BSP's tables, then the guest's function. */
void ap_main(void);
void ap_main(void)
{
	/* The BSP's GDT, then its code segment (a far return) and data segments. */
	__asm__ volatile("lgdt %0" ::"m"(gdtr));
#if defined(__x86_64__)
	__asm__ volatile("pushq %q0; lea 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
			 :
			 : "r"((u64)bsp_cs)
			 : "rax", "memory");
#else
	__asm__ volatile("pushl %0; pushl $1f; lret; 1:" : : "r"((u32)bsp_cs) : "memory");
#endif
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" : : "r"(bsp_ds));
	__asm__ volatile("lidt %0" ::"m"(idtr));
	ap_fn();
}

/* Fill a variable of the trampoline in its copy at TRAMP. */
static void patch(const u8 *sym, uintptr_t v)
{
	uintptr_t off = (uintptr_t)sym - (uintptr_t)tramp_start;
	*(volatile u32 *)(TRAMP + off) = (u32)v;
}

void ap_start(u32 id, void (*fn)(void))
{
	ap_fn = fn;
	__asm__ volatile("sidt %0; sgdt %1" : "=m"(idtr), "=m"(gdtr));
	__asm__ volatile("mov %%cs, %0; mov %%ds, %1" : "=r"(bsp_cs), "=r"(bsp_ds));
	memcpy((void *)(uintptr_t)TRAMP, tramp_start,
	       (size_t)((uintptr_t)tramp_end - (uintptr_t)tramp_start));
	patch(tr_stack, (uintptr_t)(ap_stack[id % AP_MAX] + sizeof(ap_stack[0])));
#if defined(__x86_64__)
	uintptr_t cr3, cr4;
	u32 lo, hi;
	__asm__ volatile("mov %%cr3, %0; mov %%cr4, %1" : "=r"(cr3), "=r"(cr4));
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080));
	patch(tr_cr3, cr3);
	patch(tr_cr4, cr4);
	patch(tr_efer, lo & ~(1u << 10)); /* LMA is the CPU's to set */
#endif
	apic_ipi(id, APIC_ICR_INIT);
	apic_ipi(id, APIC_ICR_INIT_DE);
	tsc_delay_us(10000);
	apic_ipi(id, APIC_ICR_SIPI | SIPI_VEC);
	tsc_delay_us(200);
	apic_ipi(id, APIC_ICR_SIPI | SIPI_VEC); /* ignored by an AP that the first one started */
}
