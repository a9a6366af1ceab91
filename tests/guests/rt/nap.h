/* nap(us): sleep on a one-shot local APIC timer, halted, so that the host CPU goes idle (and
 * others steal the vCPU: moves between host CPUs). Header-only, for one file of a guest; the
 * vector is in priority class 15, so CR8 values below 15 never hold it off. */
#ifndef RT_NAP_H
#define RT_NAP_H

#include "rt/apic.h"
#include "rt/trap.h"

#define NAP_VEC 0xf0
static volatile u32 naps;

void nap_isr(void);
void nap_isr(void)
{
	naps++;
	apic_eoi();
}
IRQ_STUB(nap_stub, nap_isr);

static void nap(u64 us)
{
	static bool ready;
	if (!ready) {
		trap_set_gate(NAP_VEC, nap_stub, 0);
		apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
		apic_write(APIC_TMR_DIV, APIC_DIV_1);
		apic_write(APIC_LVT_TIMER, NAP_VEC); /* one-shot */
		ready = true;
	}
	u32 n = naps;
	apic_write(APIC_TMR_INIT, (u32)div64(us * apic_timer_khz(), 1000));
	while (naps == n)
		__asm__ volatile("sti; hlt; cli" ::: "memory"); /* STI's shadow covers the HLT */
}

#endif
