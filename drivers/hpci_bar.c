/* PCI BAR decoding (pure: host-tested in tests/unit/test_hpci.c). */
#include "drivers/hpci.h"

/* PCI Local Bus 3.0, 6.2.5.1: bit 0 says I/O; for memory, bits 2:1 are the type (10b: 64 bits,
 * the next BAR holding the upper half) and bit 3 prefetchable. The size is the two's complement
 * of what reads back after all ones are written, with the type bits masked off. */
struct hpci_bar hpci_bar_decode(u32 lo, u32 hi, u32 mlo, u32 mhi)
{
	struct hpci_bar b = {0};
	if (lo & 1) {
		u32 mask = mlo & ~3u;
		b.io = true;
		b.base = lo & ~3u;
		/* an I/O BAR decodes at most 16 bits: a device may leave the upper half zero */
		if (mask && !(mask & 0xffff0000u))
			mask |= 0xffff0000u;
		b.size = mask ? (u32)(~mask + 1) : 0;
		return b;
	}
	b.is64 = ((lo >> 1) & 3) == 2;
	b.prefetch = (lo & 8) != 0;
	u64 mask = mlo & ~0xfu;
	b.base = lo & ~0xfu;
	if (b.is64) {
		mask |= (u64)mhi << 32;
		b.base |= (u64)hi << 32;
	} else if (mask) {
		mask |= 0xffffffff00000000ull;
	}
	b.size = mask ? ~mask + 1 : 0;
	return b;
}
