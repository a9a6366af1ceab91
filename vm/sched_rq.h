/* The scheduler's run queues, shared by its files (vm/sched.c picks and runs, vm/sched_rq.c
 * balances them, vm/sched_set.c changes a VM's share while it runs). Private to the scheduler:
 * everything else goes through vm/sched.h. */
#ifndef KEEL_SCHED_RQ_H
#define KEEL_SCHED_RQ_H

#include "vm/sched.h"
#include "kernel/percpu.h"
#include "kernel/spinlock.h"

struct runq {
	struct spinlock lock;
	struct vcpu *queue; /* runnable, waiting for the CPU */
	struct vcpu *homed; /* every vCPU homed here, via home_next */
	u64 load;	    /* sum of the weights of its runnable vCPUs (and those running) */
	u64 min_vruntime;
	u64 next_balance;
	bool idle;
};

extern struct runq rqs[MAX_CPUS];
extern struct sched_stats stats[MAX_CPUS];

static inline u32 weight(const struct vcpu *v)
{
	return v->vm->weight ? v->vm->weight : SCHED_WEIGHT;
}

static inline bool allowed(const struct vcpu *v, u32 cpu)
{
	return cpus[cpu].online && (v->vm->pin & BIT(cpu));
}

/* Queue v on rq (its lock held); from now until it is picked, it waits for a CPU (steal). */
static inline void enqueue(struct runq *rq, struct vcpu *v)
{
	if (v->queued)
		return;
	v->rq_next = rq->queue;
	rq->queue = v;
	v->queued = true;
	v->queued_tsc = rdtsc();
}

static inline void dequeue(struct runq *rq, struct vcpu *v)
{
	for (struct vcpu **p = &rq->queue; *p; p = &(*p)->rq_next) {
		if (*p == v) {
			*p = v->rq_next;
			v->queued = false;
			return;
		}
	}
}

static inline void unhome(struct runq *rq, struct vcpu *v)
{
	for (struct vcpu **p = &rq->homed; *p; p = &(*p)->home_next) {
		if (*p == v) {
			*p = v->home_next;
			return;
		}
	}
}

/* Lock v's home run queue and return it: v->home may change until that lock is held. */
static inline struct runq *lock_home(struct vcpu *v, u64 *flags)
{
	for (;;) {
		struct runq *rq = &rqs[__atomic_load_n(&v->home, __ATOMIC_ACQUIRE)];
		*flags = spin_lock_irq(&rq->lock);
		if (rq == &rqs[v->home])
			return rq;
		spin_unlock_irq(&rq->lock, *flags);
	}
}

/* The allowed CPU with the least load (ties: the lowest number). */
u32 least_loaded(const struct vcpu *v);
/* Move queued or sleeping v (off every CPU) from src to dst, both locks held. */
void migrate(struct runq *src, struct runq *dst, struct vcpu *v, u32 to);
/* Pull one vCPU from the most loaded CPU when that narrows the gap (or when idle, any). */
void balance(u32 me, bool idle);

#endif
