/* The host's hardware random numbers, for guests' virtio-rng (vdev/vrng.c): RDSEED where the CPU
 * has it (a conditioned entropy source, SDM vol. 1 7.3.17.2), else RDRAND (a DRBG reseeded from
 * that source). Nothing else counts as entropy: without either, keel offers no rng. */
#ifndef KEEL_ENTROPY_H
#define KEEL_ENTROPY_H

#include "lib/types.h"

/* The CPU has RDSEED or RDRAND. */
bool entropy_available(void);
/* Fill *v with 64 random bits: false if the CPU gave none after a few tries (it may be
 * exhausted for a moment) or has neither instruction. */
bool entropy_read(u64 *v);

#endif
