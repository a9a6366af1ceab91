/* The pure decisions of the debugger's hardware breakpoints (exit/debug_hw.h). */
#include "exit/debug_hw.h"

/* R/Wn (SDM 17.2.4): 00 execution, 01 writes, 11 reads or writes; x86 has no read-only
 * breakpoint, so gdb's read watchpoint is 11 too (the stub reports what it asked for). */
static u64 dr7_rw(enum dbg_hw_kind kind)
{
	switch (kind) {
	case DBG_HW_EXEC: return 0;
	case DBG_HW_WRITE: return 1;
	case DBG_HW_READ:
	case DBG_HW_ACCESS: return 3;
	}
	return 0;
}

/* LENn (SDM 17.2.4): 00 one byte, 01 two, 11 four, 10 eight; execution is always 00. */
static u64 dr7_len(enum dbg_hw_kind kind, u8 len)
{
	if (kind == DBG_HW_EXEC)
		return 0;
	return len == 2 ? 1 : len == 4 ? 3 : len == 8 ? 2 : 0;
}

u64 dbg_dr7_encode(const struct dbg_hw hw[DBG_HW_MAX])
{
	u64 dr7 = DR7_FIXED;
	for (unsigned i = 0; i < DBG_HW_MAX; i++) {
		if (!hw[i].used)
			continue;
		dr7 |= BIT(2 * i); /* Ln: local enable (the guest's task switches never clear it) */
		dr7 |= dr7_rw(hw[i].kind) << (16 + 4 * i);
		dr7 |= dr7_len(hw[i].kind, hw[i].len) << (18 + 4 * i);
	}
	return dr7;
}

int dbg_dr6_slot(const struct dbg_hw hw[DBG_HW_MAX], u64 dr6)
{
	for (int i = 0; i < DBG_HW_MAX; i++)
		if (hw[i].used && (dr6 & BIT(i)))
			return i;
	return -1;
}

enum dbg_stop dbg_db_stop(const struct dbg_hw hw[DBG_HW_MAX], u32 ctl, u64 dr6, int *slot)
{
	*slot = -1;
	if (ctl & DBG_CTL_DR) {
		*slot = dbg_dr6_slot(hw, dr6);
		if (*slot >= 0)
			return hw[*slot].kind == DBG_HW_EXEC ? DBG_STOP_HWBREAK : DBG_STOP_WATCH;
	}
	if ((ctl & DBG_CTL_STEP) && (dr6 & DR6_BS))
		return DBG_STOP_STEP;
	return DBG_STOP_NONE;
}

u64 dbg_dr6_merge(u64 guest_dr6, u64 causes)
{
	return (guest_dr6 & ~DR6_B_MASK) | (causes & DR6_CAUSES) | DR6_FIXED;
}

const char *dbg_hw_check(enum dbg_hw_kind kind, u64 la, u8 len)
{
	if (kind == DBG_HW_EXEC)
		return len <= 1 ? NULL : "an execution breakpoint covers one byte";
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return "length must be 1, 2, 4 or 8";
	if (la & (u64)(len - 1))
		return "address not aligned to the length (SDM 17.2.5)";
	return NULL;
}

u32 dbg_base_ctl(const struct vm_debug *d)
{
	u32 ctl = 0;
	for (unsigned i = 0; i < DBG_SW_MAX; i++)
		if (d->sw[i].used)
			ctl |= DBG_CTL_BP;
	for (unsigned i = 0; i < DBG_HW_MAX; i++)
		if (d->hw[i].used)
			ctl |= DBG_CTL_DR | DBG_CTL_DB;
	return ctl;
}

void dbg_ctl_update(struct vm *vm)
{
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpu[i];
		u32 step = (v->dbg.ctl & DBG_CTL_STEP) ? DBG_CTL_STEP | DBG_CTL_DB : 0;
		v->dbg.ctl = dbg_base_ctl(vm->debug) | step;
	}
}
