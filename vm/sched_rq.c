/* The scheduler's run queues and the load balancer (vm/sched.c's header comment): every 50 ms
 * a CPU pulls a queued vCPU from the most loaded one when that evens out the weights, and an
 * idle CPU pulls any it may run. Also the counters behind make bench and query-stats. */
#include "vm/sched_rq.h"
#include "kernel/x86.h"

struct runq rqs[MAX_CPUS];
struct sched_stats stats[MAX_CPUS];

u32 least_loaded(const struct vcpu *v)
{
	u32 best = ~0u;
	for (u32 i = 0; i < ncpus; i++)
		if (allowed(v, i) && (best == ~0u || rqs[i].load < rqs[best].load))
			best = i;
	return best == ~0u ? 0 : best;
}

void migrate(struct runq *src, struct runq *dst, struct vcpu *v, u32 to)
{
	bool counted = v->state == VCPU_RUNNABLE; /* off its CPU: in the load iff runnable */
	bool was_queued = v->queued;
	dequeue(src, v);
	unhome(src, v);
	if (counted)
		src->load -= weight(v);
	v->vruntime = v->vruntime - MIN(v->vruntime, src->min_vruntime) + dst->min_vruntime;
	v->home = to;
	v->home_next = dst->homed;
	dst->homed = v;
	if (counted)
		dst->load += weight(v);
	if (was_queued)
		enqueue(dst, v);
	stats[to].migrations++;
}

void balance(u32 me, bool idle)
{
	struct runq *mine = &rqs[me];
	u32 busiest = ~0u;
	for (u32 i = 0; i < ncpus; i++)
		if (i != me && cpus[i].online && rqs[i].queue &&
		    (busiest == ~0u || rqs[i].load > rqs[busiest].load))
			busiest = i;
	if (busiest == ~0u || (!idle && rqs[busiest].load <= mine->load))
		return;
	struct runq *a = me < busiest ? mine : &rqs[busiest];
	struct runq *b = me < busiest ? &rqs[busiest] : mine;
	u64 flags = spin_lock_irq(&a->lock);
	spin_lock(&b->lock);
	struct runq *src = &rqs[busiest];
	u64 gap = src->load > mine->load ? src->load - mine->load : 0;
	struct vcpu *take = NULL;
	for (struct vcpu *v = src->queue; v; v = v->rq_next) {
		if (!allowed(v, me) || v->vm->paused)
			continue;
		/* Moving weight w changes the gap to |gap - 2w|: only worth it if w < gap. */
		if ((idle || weight(v) < gap) && (!take || weight(v) > weight(take)))
			take = v;
	}
	if (take)
		migrate(src, mine, take, me);
	spin_unlock(&b->lock);
	spin_unlock_irq(&a->lock, flags);
}

void sched_stats(struct sched_stats *s)
{
	*s = (struct sched_stats){0};
	for (u32 i = 0; i < ncpus; i++) {
		s->switches += stats[i].switches;
		s->switch_tsc += stats[i].switch_tsc;
		s->migrations += stats[i].migrations;
		s->idle_tsc += stats[i].idle_tsc;
	}
}

void sched_cpu_stats(u32 cpu, struct sched_stats *s)
{
	*s = cpu < ncpus ? stats[cpu] : (struct sched_stats){0};
}
