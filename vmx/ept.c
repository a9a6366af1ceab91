/* EPT entries (SDM 28.3.2): read, write and execute bits, write-back memory type in leaves,
 * bit 7 for a 2 MiB leaf. */
#include "mm/pagetable.h"
#include "vmx/vmx.h"

#define EPT_R	  BIT(0)
#define EPT_W	  BIT(1)
#define EPT_X	  BIT(2)
#define EPT_WB	  (6ull << 3)
#define EPT_LARGE BIT(7)
#define EPT_ADDR  0x000ffffffffff000ull

static u64 ept_leaf(u64 pa, unsigned prot, int level)
{
	u64 e = pa | ((prot & PT_R) ? EPT_R : 0) | ((prot & PT_W) ? EPT_W : 0) |
		((prot & PT_X) ? EPT_X : 0);
	if (!(prot & PT_UC))
		e |= EPT_WB; /* memory type 0 (uncacheable) otherwise */
	return level == 2 ? e | EPT_LARGE : e;
}

static u64 ept_table(u64 pa)
{
	return pa | EPT_R | EPT_W | EPT_X;
}

static bool ept_present(u64 e)
{
	return e & (EPT_R | EPT_W | EPT_X);
}

static bool ept_is_leaf(u64 e, int level)
{
	return level == 1 || (e & EPT_LARGE);
}

static u64 ept_addr(u64 e)
{
	return e & EPT_ADDR & ~(u64)((e & EPT_LARGE) ? LARGE_PAGE_SIZE - 1 : 0);
}

static unsigned ept_prot(u64 e)
{
	return ((e & EPT_R) ? PT_R : 0) | ((e & EPT_W) ? PT_W : 0) | ((e & EPT_X) ? PT_X : 0) |
	       ((e & (7ull << 3)) ? 0 : PT_UC);
}

const struct pt_format ept_format = {
	.name = "EPT",
	.leaf = ept_leaf,
	.table = ept_table,
	.present = ept_present,
	.is_leaf = ept_is_leaf,
	.addr = ept_addr,
	.prot = ept_prot,
};

/* The EPT pointer: write-back paging structures, 4-level walk (SDM 24.6.11). */
u64 vmx_eptp(const struct vm *vm)
{
	return vm->mem.map.root | 6 | (3 << 3);
}
