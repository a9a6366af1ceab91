/* Ticket spin locks: waiters are served in arrival order, so a lock stays fair under
 * contention. A lock taken from interrupt context must be taken with the _irq variants. */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H

#include "kernel/x86.h"

struct spinlock {
	volatile u32 next;    /* the ticket the next arrival draws */
	volatile u32 serving; /* the ticket that holds the lock */
	u32 owner;	      /* CPU id + 1 of the holder, 0 when free: for panic paths */
};

u32 cpu_id_for_lock(void);

static inline void spin_lock(struct spinlock *l)
{
	u32 me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != me)
		cpu_relax();
	l->owner = cpu_id_for_lock() + 1;
}

static inline bool spin_trylock(struct spinlock *l)
{
	u32 me = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
	if (!__atomic_compare_exchange_n(&l->next, &me, me + 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return false;
	l->owner = cpu_id_for_lock() + 1;
	return true;
}

static inline void spin_unlock(struct spinlock *l)
{
	l->owner = 0;
	__atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

static inline bool spin_held_by_me(const struct spinlock *l)
{
	return l->owner == cpu_id_for_lock() + 1;
}

/* Take l with interrupts off; returns the previous RFLAGS for spin_unlock_irq. */
static inline u64 spin_lock_irq(struct spinlock *l)
{
	u64 flags = read_rflags();
	cli();
	spin_lock(l);
	return flags;
}

/* spin_trylock with interrupts off while it is held; *flags for spin_unlock_irq. On failure
 * the interrupt flag is as it was. */
static inline bool spin_trylock_irq(struct spinlock *l, u64 *flags)
{
	*flags = read_rflags();
	cli();
	if (spin_trylock(l))
		return true;
	if (*flags & RFLAGS_IF)
		sti();
	return false;
}

static inline void spin_unlock_irq(struct spinlock *l, u64 flags)
{
	spin_unlock(l);
	if (flags & RFLAGS_IF)
		sti();
}

#endif
