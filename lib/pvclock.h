/* The paravirtual clock's arithmetic (KVM's ABI, as Linux reads it in arch/x86/include/asm/
 * pvclock.h): a TSC delta becomes nanoseconds as (delta << shift) * mul >> 32, shifting right
 * for a negative shift, with mul a 32.32 fixed-point fraction below 1. */
#ifndef KEEL_PVCLOCK_H
#define KEEL_PVCLOCK_H

#include "lib/types.h"

/* The mul and shift that turn ticks of a from_khz clock into nanoseconds, as KVM's
 * kvm_get_time_scale(NSEC_PER_SEC, tsc_hz) picks them: the largest mul that stays below
 * 2^32 once the shift brings the ratio into [1/2, 1). from_khz must not be 0. */
void pvclock_time_scale(u64 from_khz, u32 *mul, s8 *shift);
/* Nanoseconds for delta ticks with that mul and shift, as the guest computes them. */
u64 pvclock_scale(u64 delta, u32 mul, s8 shift);

#endif
