/* The paravirtual clock's fixed-point arithmetic (lib/pvclock.h). */
#include "lib/pvclock.h"

#define NSEC_PER_SEC 1000000000ull

/* Linux's kvm_get_time_scale (arch/x86/kvm/x86.c), with scaled = 1 GHz and base = the TSC:
 * first halve the base until it fits 32 bits and is at most twice the target, then double it
 * (or halve the target) until the target is below it; mul = target / base in 0.32 fixed
 * point. */
void pvclock_time_scale(u64 from_khz, u32 *mul, s8 *shift)
{
	u64 base = from_khz * 1000, scaled = NSEC_PER_SEC;
	int s = 0;
	while (base > scaled * 2 || (base >> 32)) {
		base >>= 1;
		s--;
	}
	u32 base32 = (u32)base;
	while (base32 <= scaled || (scaled >> 32)) {
		if ((scaled >> 32) || (base32 & 0x80000000u))
			scaled >>= 1;
		else
			base32 <<= 1;
		s++;
	}
	*shift = (s8)s;
	*mul = (u32)((scaled << 32) / base32);
}

/* pvclock_scale_delta: the shift first, then a 64 x 32 -> 96-bit product's bits 95:32. */
u64 pvclock_scale(u64 delta, u32 mul, s8 shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (u64)(((unsigned __int128)delta * mul) >> 32);
}
