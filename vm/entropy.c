/* Hardware random numbers from the host CPU (vm/entropy.h). */
#include "vm/entropy.h"
#include "drivers/cpufeat.h"

#define TRIES 16 /* SDM vol. 1 7.3.17.1: a few retries make an RDRAND underflow very unlikely */

/* One RDSEED: CF=1 when *v holds fresh bits. */
static bool rdseed(u64 *v)
{
	bool ok;
	__asm__ volatile("rdseed %0" : "=r"(*v), "=@ccc"(ok));
	return ok;
}

/* One RDRAND: CF=1 when *v holds fresh bits. */
static bool rdrand(u64 *v)
{
	bool ok;
	__asm__ volatile("rdrand %0" : "=r"(*v), "=@ccc"(ok));
	return ok;
}

bool entropy_available(void)
{
	return cpu_feat.rdseed || cpu_feat.rdrand;
}

/* RDSEED first (it may run dry under load: SDM 7.3.17.2), then RDRAND. */
bool entropy_read(u64 *v)
{
	for (int i = 0; i < TRIES; i++) {
		if (cpu_feat.rdseed && rdseed(v))
			return true;
		if (cpu_feat.rdrand && rdrand(v))
			return true;
	}
	return false;
}
