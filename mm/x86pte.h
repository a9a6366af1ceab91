/* x86 page-table entries (SDM 4.5), shared by keel's own tables and AMD's nested page tables,
 * which use the same format. */
#ifndef KEEL_X86PTE_H
#define KEEL_X86PTE_H

#include "mm/pagetable.h"

#define X86_P	 BIT(0)
#define X86_RW	 BIT(1)
#define X86_US	 BIT(2)
#define X86_PWT	 BIT(3)
#define X86_PCD	 BIT(4)
#define X86_PS	 BIT(7)
#define X86_NX	 BIT(63)
#define X86_ADDR 0x000ffffffffff000ull

/* A leaf: nx is X86_NX where EFER.NXE is on (else the bit is reserved), user adds U/S. */
static inline u64 x86_pte_leaf(u64 pa, unsigned prot, int level, u64 nx, u64 user)
{
	u64 e = pa | X86_P | user;
	if (prot & PT_W)
		e |= X86_RW;
	if (!(prot & PT_X))
		e |= nx;
	if (prot & PT_UC)
		e |= X86_PCD | X86_PWT;
	if (level == 2)
		e |= X86_PS;
	return e;
}

static inline bool x86_pte_present(u64 e)
{
	return e & X86_P;
}

static inline bool x86_pte_is_leaf(u64 e, int level)
{
	return level == 1 || (e & X86_PS);
}

static inline u64 x86_pte_addr(u64 e)
{
	return e & X86_ADDR & ~(u64)((e & X86_PS) ? LARGE_PAGE_SIZE - 1 : 0);
}

static inline unsigned x86_pte_prot(u64 e)
{
	return PT_R | ((e & X86_RW) ? PT_W : 0) | ((e & X86_NX) ? 0 : PT_X) |
	       ((e & X86_PCD) ? PT_UC : 0);
}

#endif
