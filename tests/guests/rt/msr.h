/* RDMSR and WRMSR, plain, and reporting the exception they raise, for the guests that probe
 * MSRs. */
#ifndef GUEST_MSR_H
#define GUEST_MSR_H

#include "trap.h"

/* RDMSR and WRMSR of MSRs the guest knows are there. */
static inline u64 msr_rd(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void msr_wr(u32 msr, u64 val)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)val), "d"((u32)(val >> 32)));
}

/* rdmsr into *val (0 if it faulted); the vector it raised or TRAP_NONE. */
static inline u32 rdmsr_try(u32 msr, u64 *val)
{
	u32 lo = 0, hi = 0;
	u32 vec = TRAP_TRY("rdmsr", : "+a"(lo), "+d"(hi) : "c"(msr));
	*val = (u64)hi << 32 | lo;
	return vec;
}

/* rdmsr, or dflt where it faults (an MSR the CPU may lack). */
static inline u64 rdmsr_or(u32 msr, u64 dflt)
{
	u64 v;
	return rdmsr_try(msr, &v) == TRAP_NONE ? v : dflt;
}

/* wrmsr; the vector it raised or TRAP_NONE. */
static inline u32 wrmsr_try(u32 msr, u64 val)
{
	return TRAP_TRY("wrmsr", : : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32)));
}

#endif
