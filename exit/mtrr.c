/* The memory-type range registers a guest's OS programs at boot (SDM vol. 3 11.11, vol. 4
 * table 2-2): capabilities, the default type, 11 fixed-range and 8 variable-range MSRs, each
 * write checked as the CPU checks it (#GP on a reserved bit or a type that is not a memory
 * type). They change no memory type for keel: EPT and NPT map guest memory write-back. */
#include "exit/mtrr.h"

#define DEF_TYPE_E  BIT(11) /* MTRRs enabled */
#define DEF_TYPE_FE BIT(10) /* fixed ranges enabled */
#define MASK_V	    BIT(11) /* PHYSMASKn: the pair is valid */

/* UC 0, WC 1, WT 4, WP 5, WB 6: the types an MTRR may hold (SDM table 11-8; 7, UC-, is the
 * PAT's alone). */
static bool mtrr_type(u64 t)
{
	return t == 0 || t == 1 || (t >= 4 && t <= 6);
}

/* The fixed-range MSR's index, or -1. */
static int fixed_index(u32 msr)
{
	if (msr == MSR_MTRR_FIX64K)
		return 0;
	if (msr == MSR_MTRR_FIX16K_80 || msr == MSR_MTRR_FIX16K_A0)
		return 1 + (int)(msr - MSR_MTRR_FIX16K_80);
	if (msr >= MSR_MTRR_FIX4K_C0 && msr < MSR_MTRR_FIX4K_C0 + 8)
		return 3 + (int)(msr - MSR_MTRR_FIX4K_C0);
	return -1;
}

static bool var_msr(u32 msr)
{
	return msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * MTRR_NVAR;
}

void mtrr_firmware(struct mtrr_state *m, u32 maxphyaddr)
{
	u64 addr = (BIT(maxphyaddr) - 1) & ~0xfffull;
	*m = (struct mtrr_state){0};
	m->def_type = DEF_TYPE_E | 6;		       /* WB; fixed ranges off */
	m->base[0] = 0xc0000000ull;		       /* UC */
	m->mask[0] = (addr & ~0x3fffffffull) | MASK_V; /* 1 GiB */
}

bool mtrr_msr(u32 msr)
{
	return msr == MSR_MTRRCAP || msr == MSR_MTRR_DEF_TYPE || fixed_index(msr) >= 0 ||
	       var_msr(msr);
}

int mtrr_read(const struct mtrr_state *m, u32 msr, u64 *val)
{
	int f = fixed_index(msr);
	u32 n = (msr - MSR_MTRR_PHYSBASE0) / 2;
	if (msr == MSR_MTRRCAP)
		*val = MTRRCAP_VALUE;
	else if (msr == MSR_MTRR_DEF_TYPE)
		*val = m->def_type;
	else if (f >= 0)
		*val = m->fixed[f];
	else if (var_msr(msr))
		*val = msr & 1 ? m->mask[n] : m->base[n];
	else
		return -1;
	return 0;
}

/* Every byte of a fixed-range MSR names the type of one sub-range (SDM 11.11.2.2). */
static bool fixed_ok(u64 val)
{
	for (int i = 0; i < 8; i++)
		if (!mtrr_type((val >> (8 * i)) & 0xff))
			return false;
	return true;
}

/* PHYSBASEn: type in 7:0, base in MAXPHYADDR-1:12; PHYSMASKn: V in 11, mask in MAXPHYADDR-1:12.
 * Every other bit is reserved (SDM 11.11.2.3, figure 11-7). */
static bool var_ok(u32 msr, u64 val, u32 maxphyaddr)
{
	u64 addr = (BIT(maxphyaddr) - 1) & ~0xfffull;
	if (msr & 1)
		return !(val & ~(addr | MASK_V));
	return !(val & ~(addr | 0xff)) && mtrr_type(val & 0xff);
}

int mtrr_write(struct mtrr_state *m, u32 msr, u64 val, u32 maxphyaddr)
{
	int f = fixed_index(msr);
	u32 n = (msr - MSR_MTRR_PHYSBASE0) / 2;
	if (msr == MSR_MTRR_DEF_TYPE) {
		/* type in 7:0, FE, E; the rest reserved (SDM 11.11.2.1) */
		if ((val & ~(0xffull | DEF_TYPE_FE | DEF_TYPE_E)) || !mtrr_type(val & 0xff))
			return -1;
		m->def_type = val;
	} else if (f >= 0) {
		if (!fixed_ok(val))
			return -1;
		m->fixed[f] = val;
	} else if (var_msr(msr)) {
		if (!var_ok(msr, val, maxphyaddr))
			return -1;
		*(msr & 1 ? &m->mask[n] : &m->base[n]) = val;
	} else {
		return -1; /* MTRRCAP is read-only */
	}
	return 0;
}
