/* Ring arithmetic shared by the NIC drivers (pure: host-tested in tests/unit/test_hnic.c). */
#ifndef KEEL_HNIC_RING_H
#define KEEL_HNIC_RING_H

#include "lib/types.h"

/* Intel 8254x manual 3.2.6/3.4: head and tail index a ring of n descriptors; software owns
 * the ones from tail up to head, and leaves one unused so that head == tail means empty. */
static inline u32 ring_next(u32 i, u32 n)
{
	return i + 1 == n ? 0 : i + 1;
}

/* Descriptors the hardware still holds (queued and not yet done) between head and tail. */
static inline u32 ring_busy(u32 head, u32 tail, u32 n)
{
	return tail >= head ? tail - head : n - head + tail;
}

/* True if one more descriptor cannot be queued at tail. */
static inline bool ring_full(u32 head, u32 tail, u32 n)
{
	return ring_busy(head, tail, n) == n - 1;
}

/* virtio 1.2 2.7.6/2.7.8: avail and used indexes run free modulo 2^16, and a ring of size n (a
 * power of two) holds entry idx at idx mod n. */
static inline u16 vring_slot(u16 idx, u16 n)
{
	return (u16)(idx & (n - 1));
}

/* Used entries the driver has not yet seen, with both indexes wrapping at 2^16. */
static inline u16 vring_new(u16 used_idx, u16 last_seen)
{
	return (u16)(used_idx - last_seen);
}

#endif
