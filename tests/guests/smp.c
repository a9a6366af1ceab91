/* A second vCPU started the PC way (SDM vol. 3 8.4.4.1, rt/ap.c): the bootstrap vCPU enables
 * its local APIC and sends INIT, then two start-up IPIs, to APIC id 1. The application vCPU
 * runs the trampoline on to the BSP's mode, announces itself with its APIC ids and waits,
 * halted with interrupts on, for a fixed IPI from the BSP. The BSP checks both vCPUs ran with their own
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
#include "rt/ap.h"
#include "rt/apic.h"
#include "rt/trap.h"

#define IPI_VEC 0x41
#define PIT_VEC 0x42
#define IOAPIC	0xfec00000u

static volatile u32 print_lock;
static volatile u32 ap_count, ap_cpuid_id = ~0u, ap_apic_id = ~0u, ap_bits, ipis;
static volatile u32 pit_ticks, pit_goal; /* parked=N: the AP counts PIT ticks up to the goal */
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
static void ap_run(void)
{
	u32 r[4];
	cpuid(1, 0, r);
	ap_cpuid_id = r[1] >> 24;
	ap_apic_id = apic_read(APIC_ID) >> 24;
	ap_bits = sizeof(void *) * 8;
	lprintf("smp: AP up in %u-bit mode, CPUID APIC id %u, LAPIC id %u\n", ap_bits, ap_cpuid_id,
		ap_apic_id);
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
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	lprintf("smp: BSP (APIC id %u, %u logical CPUs) sends INIT, SIPI, SIPI to APIC id 1\n",
		bsp_id, nlogical);
	ap_start(1, ap_run);
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
