/* Per-CPU data: one struct cpu per CPU, reached through GS (kernel/percpu.h). */
#include "kernel/percpu.h"
#include "kernel/spinlock.h"
#include "kernel/x86.h"

struct cpu cpus[MAX_CPUS];
u32 ncpus = 1;

u32 cpu_id_for_lock(void)
{
	return this_cpu()->id;
}

void percpu_init(u32 id)
{
	struct cpu *c = &cpus[id];
	c->self = c;
	c->id = id;
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)c);
}
