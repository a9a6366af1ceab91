/* The local APIC (xAPIC, memory-mapped at 0xfee00000; SDM vol. 3 ch. 11), interrupt entry
 * stubs and a spinlock, for the guests that take interrupts or run several vCPUs. Header only:
 * guests that do not include it are unchanged. */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include "rt.h"

#define APIC_BASE      0xfee00000u
#define APIC_ID	       0x20
#define APIC_EOI       0xb0
#define APIC_SVR       0xf0
#define APIC_ICR_LO    0x300
#define APIC_ICR_HI    0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_TMR_INIT  0x380
#define APIC_TMR_CUR   0x390
#define APIC_TMR_DIV   0x3e0

#define APIC_SVR_ENABLE	 (1u << 8)
#define APIC_LVT_MASKED	 (1u << 16)
#define APIC_LVT_PERIOD	 (1u << 17)
#define APIC_LVT_EXTINT	 0x00000700u /* delivery mode 111b (11.5.1) */
#define APIC_DIV_1	 0xb	     /* divide configuration 1011b: by 1 (11.5.4) */
#define APIC_ICR_INIT	 0x00004500u /* INIT, level assert (11.6.1) */
#define APIC_ICR_INIT_DE 0x00008500u /* INIT, level-triggered de-assert */
#define APIC_ICR_SIPI	 0x00004600u /* start-up; the vector is the page number */
#define APIC_ICR_FIXED	 0x00004000u /* fixed, assert; the vector in bits 7:0 */

static inline u32 apic_read(u32 off)
{
	return *(volatile u32 *)(uintptr_t)(APIC_BASE + off);
}

static inline void apic_write(u32 off, u32 v)
{
	*(volatile u32 *)(uintptr_t)(APIC_BASE + off) = v;
}

static inline void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

/* An IPI to physical APIC id dest: the high word names the destination, the low one sends. */
static inline void apic_ipi(u32 dest, u32 lo)
{
	apic_write(APIC_ICR_HI, dest << 24);
	apic_write(APIC_ICR_LO, lo);
}

/* The frequencies keel reports in CPUID leaf 0x40000010: TSC (EAX) and APIC timer (EBX), kHz.
 * Not on keel (or zero): 1 GHz and 100 MHz, so that a bare run still means something. */
static inline u64 tsc_khz(void)
{
	u32 r[4];
	cpuid(0x40000010, 0, r);
	return r[0] ? r[0] : 1000000;
}

static inline u64 apic_timer_khz(void)
{
	u32 r[4];
	cpuid(0x40000010, 0, r);
	return r[1] ? r[1] : 100000;
}

/* Busy-wait for us microseconds of TSC. */
static inline void tsc_delay_us(u64 us)
{
	u64 end = rdtsc() + div64(us * tsc_khz(), 1000);
	while (rdtsc() < end)
		__asm__ volatile("pause");
}

/* A test-and-set lock, e.g. to keep two vCPUs' lines on the UART apart. */
static inline void lock(volatile u32 *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
}

static inline void unlock(volatile u32 *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* IRQ_STUB(stub, fn); defines an interrupt entry `void stub(void)` for trap_set_gate() that
 * saves the registers the C ABI lets fn clobber, calls void fn(void) and returns with IRET. fn
 * must not be static (only the assembly names it). The 64-bit CPU aligns RSP to 16 and pushes
 * 5 words; with 9 more the call is made on a 16-byte aligned stack (SDM 6.14.2). */
#if defined(__x86_64__)
#define IRQ_STUB(stub, fn)                                                                       \
	__asm__(".text\n.balign 16\n" #stub ":\n"                                                \
		"push %rax\npush %rcx\npush %rdx\npush %rsi\npush %rdi\n"                        \
		"push %r8\npush %r9\npush %r10\npush %r11\ncld\ncall " #fn "\n"                  \
		"pop %r11\npop %r10\npop %r9\npop %r8\npop %rdi\npop %rsi\npop %rdx\npop %rcx\n" \
		"pop %rax\niretq\n");                                                            \
	void stub(void)
#else
#define IRQ_STUB(stub, fn)                                                                \
	__asm__(".text\n.balign 16\n" #stub ":\npusha\ncld\ncall " #fn "\npopa\niret\n"); \
	void stub(void)
#endif

#endif
