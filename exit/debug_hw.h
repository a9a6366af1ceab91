/* The pure decisions of exit/debug.c (host-tested in tests/unit/test_debug.c): DR7 for the
 * debugger's slots, and what a #DB's causes mean for the debugger and for the guest. */
#ifndef KEEL_DEBUG_HW_H
#define KEEL_DEBUG_HW_H

#include "exit/debug.h"

/* DR6 bits (SDM 17.2.3): B0-B3, BD (a MOV DR with GD), BS (single step); the rest read 1. */
#define DR6_B_MASK 0xfull
#define DR6_BD	   BIT(13)
#define DR6_BS	   BIT(14)
#define DR6_CAUSES (DR6_B_MASK | DR6_BD | DR6_BS)
#define DR6_FIXED  0xffff0ff0ull /* DR6 at reset: the reserved bits that read 1 */
#define DR7_FIXED  0x400ull	 /* DR7 at reset: bit 10 reads 1 */
#define DR7_GD	   BIT(13)

/* DR7 holding hw's used slots: Ln, R/Wn and LENn (SDM 17.2.4). */
u64 dbg_dr7_encode(const struct dbg_hw hw[DBG_HW_MAX]);
/* The first used slot of hw whose Bn bit dr6 sets; -1 if none. */
int dbg_dr6_slot(const struct dbg_hw hw[DBG_HW_MAX], u64 dr6);
/* What a #DB with causes dr6 is for the debugger: HWBREAK, WATCH (*slot set), STEP, or NONE
 * (the guest's own). ctl is the vCPU's DBG_CTL_* bits; the slots count only with DBG_CTL_DR
 * (the hardware's DR7 is then the debugger's). */
enum dbg_stop dbg_db_stop(const struct dbg_hw hw[DBG_HW_MAX], u32 ctl, u64 dr6, int *slot);
/* The guest's DR6 after a #DB of its own with causes dr6: B0-B3 replaced, BD and BS added,
 * the rest kept (SDM 17.2.3: the processor never clears the other bits). */
u64 dbg_dr6_merge(u64 guest_dr6, u64 causes);
/* The check of a hardware slot gdb asks for: NULL or why not (SDM 17.2.5 alignment). */
const char *dbg_hw_check(enum dbg_hw_kind kind, u64 la, u8 len);

/* debug_mem.c, for debug.c: is one of the debugger's INT3s at linear address la of v (its
 * la and the gpa v's page tables give now)? And put a software breakpoint's byte back. */
bool dbg_sw_at(struct vcpu *v, u64 la);
void dbg_sw_forget(struct vm *vm, struct dbg_sw *sw);
/* The intercepts every vCPU needs for what the debugger has set (exit/debug.h), and every
 * vCPU's given them (a step it has kept). */
u32 dbg_base_ctl(const struct vm_debug *d);
void dbg_ctl_update(struct vm *vm);

#endif
