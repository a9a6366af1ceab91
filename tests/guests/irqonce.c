/* Each interrupt keel injects arrives once. The local APIC timer fires once, 2 ms after the
 * guest arms it, n times; its handler runs with interrupts off (an interrupt gate, SDM 6.8.1) and spins there for spin=N ms (default
 * 300) without a single exit, counting how deep it is: an interrupt taken inside it would be a
 * second delivery of one event, as a guest that holds a lock in its handler would deadlock on.
 * QEMU's TCG (10.0) did that on AMD-V: it delivers an injected external interrupt inside VMRUN
 * and keeps it as its CPU's pending exception, then delivers it again whenever its round-robin
 * loop stops that CPU (every 100 ms with two CPUs) before the guest's next exit
 * (README "QEMU's TCG delivers an injected interrupt twice"). Run with --smp 2.
 *
 * cmdline: spin=N (ms in the handler), n=N (interrupts to take, default 4). */
#include "rt/apic.h"
#include "rt/trap.h"

#define VEC 0x40

static volatile u32 depth, deepest, taken;
static u64 spin_ticks;

void once_isr(void);
void once_isr(void)
{
	u32 d = ++depth;
	if (d > deepest)
		deepest = d;
	if (d > 1) { /* a second delivery of the one being handled: note it, leave its EOI */
		depth--;
		return;
	}
	taken++;
	u64 start = rdtsc();
	while (rdtsc() - start < spin_ticks)
		__asm__ volatile("" ::: "memory"); /* no PAUSE: QEMU ends its TB loop on one */
	depth--;
	apic_eoi();
}
IRQ_STUB(once_stub, once_isr);

int guest_main(void)
{
	u64 khz = tsc_khz(), n = cmdline_num("n", 4);
	spin_ticks = cmdline_num("spin", 300) * khz;
	trap_init();
	trap_set_gate(VEC, once_stub, 0);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	apic_write(APIC_TMR_DIV, APIC_DIV_1);
	apic_write(APIC_LVT_TIMER, VEC); /* one-shot */
	for (u32 i = 0; i < n; i++) {
		apic_write(APIC_TMR_INIT, (u32)(2 * apic_timer_khz()));
		while (taken <= i)
			__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
	printf("irqonce: %u interrupts taken, handler %llu ms each, deepest nesting %u\n", taken,
	       (unsigned long long)div64(spin_ticks, (u32)khz), deepest);
	check(deepest == 1, "no interrupt arrived inside the handler (interrupts off): nesting %u",
	      deepest);
	return check_done();
}
