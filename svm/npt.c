/* Nested page table entries: the x86 format with U/S set at every level, since the CPU treats
 * every nested-table access as a user access (APM 15.25.5). Write-back memory: the guest's
 * PAT decides the rest. */
#include "mm/x86pte.h"
#include "vm/virt.h"

static u64 npt_leaf(u64 pa, unsigned prot, int level)
{
	return x86_pte_leaf(pa, prot, level, X86_NX, X86_US);
}

static u64 npt_table(u64 pa)
{
	return pa | X86_P | X86_RW | X86_US;
}

const struct pt_format npt_format = {
	.name = "NPT",
	.leaf = npt_leaf,
	.table = npt_table,
	.present = x86_pte_present,
	.is_leaf = x86_pte_is_leaf,
	.addr = x86_pte_addr,
	.prot = x86_pte_prot,
};
