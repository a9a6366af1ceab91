/* The host's local APIC, in x2APIC mode where the CPU has it (SDM vol. 3 ch. 11). */
#ifndef KEEL_LAPIC_H
#define KEEL_LAPIC_H

#include "lib/types.h"

extern u64 lapic_timer_khz; /* LAPIC timer ticks per ms at keel's divider */

/* Enable this CPU's LAPIC (x2APIC if available), mask LINT0/1 and the timer. */
void lapic_init(void);
/* Boot CPU only: measure the timer against the reference timer. */
void lapic_calibrate(void);
u32 lapic_id(void);
bool lapic_x2apic(void);
void lapic_eoi(void);
/* One-shot timer interrupt on vector after us microseconds; 0 stops it. */
void lapic_timer_oneshot(u8 vector, u64 us);
/* Send an IPI: delivery mode bits (ICR 10:8) and vector, to one APIC id. */
void lapic_send_ipi(u32 apic_id, u32 mode_vector);
#define ICR_FIXED  0x000
#define ICR_NMI	   0x400
#define ICR_INIT   0x500
#define ICR_SIPI   0x600
#define ICR_ASSERT 0x4000
#define ICR_LEVEL  0x8000

#endif
