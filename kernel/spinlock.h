/* Spin locks. A lock taken from interrupt context must be taken with the _irq variants. */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H

#include "kernel/x86.h"

struct spinlock {
	volatile u32 locked;
	u32 owner; /* CPU id + 1 of the holder, 0 when free: lets panic paths detect recursion */
};

u32 cpu_id_for_lock(void);

static inline void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
	}
	l->owner = cpu_id_for_lock() + 1;
}

static inline bool spin_trylock(struct spinlock *l)
{
	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		return false;
	l->owner = cpu_id_for_lock() + 1;
	return true;
}

static inline void spin_unlock(struct spinlock *l)
{
	l->owner = 0;
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline bool spin_held_by_me(struct spinlock *l)
{
	return l->locked && l->owner == cpu_id_for_lock() + 1;
}

/* Take l with interrupts off; returns the previous RFLAGS for spin_unlock_irq. */
static inline u64 spin_lock_irq(struct spinlock *l)
{
	u64 flags = read_rflags();
	cli();
	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irq(struct spinlock *l, u64 flags)
{
	spin_unlock(l);
	if (flags & RFLAGS_IF)
		sti();
}

#endif
