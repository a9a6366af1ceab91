/* A second vCPU started the PC way (SDM vol. 3 8.4.4.1): the bootstrap vCPU copies a real-mode
 * trampoline to 0x8000, enables its local APIC and sends INIT, then two start-up IPIs with
 * vector 0x08, to APIC id 1. The trampoline takes the application vCPU to protected mode and
 * (in the ELF64 build) on to long mode on the BSP's page tables, then calls ap_main(), which
 * takes the BSP's GDT, segments and IDT, announces the vCPU with its APIC ids and waits, halted
 * with interrupts on, for a fixed IPI from the BSP. The BSP checks both vCPUs ran with their own
 * ids and that the IPI arrived. The vCPUs' lines go through one spinlock, so they never mix on the
 * UART.
 *
 * With parked=N the BSP then routes the PIT (ISA IRQ 0, I/O APIC pin 2) to the AP, starts it
 * as a 1 ms rate generator and parks itself with CLI; HLT for good: the AP must still count N
 * ticks (issue 11: the PIT lives on vCPU 0's timers, and keel used to stop running them once
 * that vCPU was parked; on a PC the PIT keeps raising IRQ 0 whatever any CPU does). The AP
 * then ends the VM.
 *
 * cmdline: wait=N (milliseconds of TSC to wait for each step, default 2000), parked=N. Run it
 * with cpus=2. */
#include "rt/apic.h"
#include "rt/trap.h"

#define TRAMP	 0x8000u /* where the trampoline runs: SIPI vector 0x08 */
#define IPI_VEC	 0x41
#define PIT_VEC	 0x42
#define IOAPIC	 0xfec00000u
#define SIPI_VEC (TRAMP >> 12)

static volatile u32 print_lock;
static volatile u32 ap_count, ap_cpuid_id = ~0u, ap_apic_id = ~0u, ap_bits, ipis;
static volatile u32 pit_ticks, pit_goal; /* parked=N: the AP counts PIT ticks up to the goal */
/* The BSP's descriptor tables and segments: the AP adopts them, since the IDT's gates name the
 * BSP's code selector. */
static struct {
	u16 limit;
	uintptr_t base;
} __attribute__((packed)) idtr, gdtr;
static u16 bsp_cs, bsp_ds;
static u8 ap_stack[8192] __attribute__((aligned(16)));

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

static void lprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void lprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lock(&print_lock);
	vprintf(fmt, ap);
	unlock(&print_lock);
	va_end(ap);
}

void ipi_isr(void);
void ipi_isr(void)
{
	__atomic_fetch_add(&ipis, 1, __ATOMIC_RELAXED);
	apic_eoi();
}
IRQ_STUB(ipi_stub, ipi_isr);

void pit_isr(void);
void pit_isr(void)
{
	__atomic_fetch_add(&pit_ticks, 1, __ATOMIC_RELAXED);
	apic_eoi();
}
IRQ_STUB(pit_stub, pit_isr);

/* The AP, once the BSP has parked: enough PIT ticks end the VM. */
static void ap_check_goal(void)
{
	u32 goal = __atomic_load_n(&pit_goal, __ATOMIC_ACQUIRE);
	if (!goal || pit_ticks < goal)
		return;
	check(true, "the AP took %u PIT ticks with the BSP parked by CLI; HLT", pit_ticks);
	exit(check_done());
}

/* The application vCPU, on its own stack: announce, then sleep taking IPIs. */
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
	u32 r[4];
	cpuid(1, 0, r);
	ap_cpuid_id = r[1] >> 24;
	ap_apic_id = apic_read(APIC_ID) >> 24;
	ap_bits = sizeof(void *) * 8;
	lprintf("smp: AP up in %u-bit mode, CPUID APIC id %u, LAPIC id %u\n", ap_bits, ap_cpuid_id,
		ap_apic_id);
	__asm__ volatile("lidt %0" ::"m"(idtr));
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	__atomic_fetch_add(&ap_count, 1, __ATOMIC_RELEASE);
	for (;;) {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		ap_check_goal();
	}
}

/* I/O APIC redirection entry for pin: fixed vector, physical destination dest, edge, high. */
static void ioapic_route(u32 pin, u8 vector, u32 dest)
{
	volatile u32 *sel = (volatile u32 *)(uintptr_t)IOAPIC, *win = sel + 4;
	*sel = 0x11 + 2 * pin;
	*win = dest << 24;
	*sel = 0x10 + 2 * pin;
	*win = vector;
}

/* parked=N: the PIT to the AP, then the BSP stops for good (the AP ends the VM). */
static __attribute__((noreturn)) void park_bsp(u32 goal)
{
	trap_set_gate(PIT_VEC, pit_stub, 0);
	ioapic_route(2, PIT_VEC, 1); /* ISA IRQ 0 is I/O APIC pin 2 (the MADT's override) */
	outb(0x43, 0x34);	     /* channel 0, low then high byte, mode 2 (rate generator) */
	outb(0x40, (u8)1193);	     /* 1193 PIT clocks: 1 ms */
	outb(0x40, (u8)(1193 >> 8));
	lprintf("smp: PIT routed to the AP; the BSP parks with CLI; HLT\n");
	__atomic_store_n(&pit_goal, goal, __ATOMIC_RELEASE);
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

/* Fill a variable of the trampoline in its copy at TRAMP. */
static void patch(const u8 *sym, uintptr_t v)
{
	uintptr_t off = (uintptr_t)sym - (uintptr_t)tramp_start;
	*(volatile u32 *)(TRAMP + off) = (u32)v;
}

/* Wait up to ms milliseconds of TSC for *p to reach want. */
static bool wait_for(volatile u32 *p, u32 want, u64 ms)
{
	u64 end = rdtsc() + ms * tsc_khz();
	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < want)
		if (rdtsc() > end)
			return false;
	return true;
}

int guest_main(void)
{
	u64 wait = cmdline_num("wait", 2000);
	u32 r[4];
	cpuid(1, 0, r);
	u32 bsp_id = r[1] >> 24, nlogical = (r[1] >> 16) & 0xff;
	trap_init();
	trap_set_gate(IPI_VEC, ipi_stub, 0);
	__asm__ volatile("sidt %0; sgdt %1" : "=m"(idtr), "=m"(gdtr));
	__asm__ volatile("mov %%cs, %0; mov %%ds, %1" : "=r"(bsp_cs), "=r"(bsp_ds));
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);

	memcpy((void *)(uintptr_t)TRAMP, tramp_start,
	       (size_t)((uintptr_t)tramp_end - (uintptr_t)tramp_start));
	patch(tr_stack, (uintptr_t)(ap_stack + sizeof(ap_stack)));
#if defined(__x86_64__)
	uintptr_t cr3, cr4;
	u32 lo, hi;
	__asm__ volatile("mov %%cr3, %0; mov %%cr4, %1" : "=r"(cr3), "=r"(cr4));
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080));
	patch(tr_cr3, cr3);
	patch(tr_cr4, cr4);
	patch(tr_efer, lo & ~(1u << 10)); /* LMA is the CPU's to set */
#endif
	lprintf("smp: BSP (APIC id %u, %u logical CPUs) sends INIT, SIPI, SIPI to APIC id 1\n",
		bsp_id, nlogical);
	apic_ipi(1, APIC_ICR_INIT);
	apic_ipi(1, APIC_ICR_INIT_DE);
	tsc_delay_us(10000);
	apic_ipi(1, APIC_ICR_SIPI | SIPI_VEC);
	tsc_delay_us(200);
	apic_ipi(1, APIC_ICR_SIPI | SIPI_VEC); /* ignored by an AP that the first one started */
	bool up = wait_for(&ap_count, 1, wait);
	lock(&print_lock);
	check(up, "the AP announced itself (within %llu ms)", (unsigned long long)wait);
	check(bsp_id == 0, "the BSP's CPUID APIC id is %u, expected 0", bsp_id);
	check(nlogical == 2, "CPUID says %u logical CPUs, expected 2", nlogical);
	check((apic_read(APIC_ID) >> 24) == 0, "the BSP's LAPIC id is %u, expected 0",
	      apic_read(APIC_ID) >> 24);
	check(ap_cpuid_id == 1, "the AP's CPUID APIC id is %u, expected 1", ap_cpuid_id);
	check(ap_apic_id == 1, "the AP's LAPIC id is %u, expected 1", ap_apic_id);
	check(ap_bits == sizeof(void *) * 8, "the AP runs the BSP's mode: %u-bit", ap_bits);
	unlock(&print_lock);
	if (up) {
		apic_ipi(1, APIC_ICR_FIXED | IPI_VEC);
		bool got = wait_for(&ipis, 1, wait);
		check(got, "a fixed IPI (vector 0x%x) woke the halted AP: %u taken", IPI_VEC, ipis);
		u32 goal = (u32)cmdline_num("parked", 0);
		if (goal)
			park_bsp(goal);
	}
	return check_done();
}
