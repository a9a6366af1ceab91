/* gdb's registers of an x86-64 vCPU (mgmt/gdb_regs.h), in target.xml's order
 * (mgmt/gdb_regs_xml.c): where each comes from, and what a write may not do. */
#include "mgmt/gdb_regs.h"
#include "lib/string.h"

/* FXSAVE's legacy region (SDM vol. 1 10.5.1, table 10-2, 64-bit format). */
#define FX_FCW	 0
#define FX_FSW	 2
#define FX_FTW	 4 /* abridged: one bit per physical register, 1 = not empty */
#define FX_FOP	 6
#define FX_FIP	 8 /* 64 bits: gdb's fioff is bits 31:0, fiseg bits 47:32 */
#define FX_FDP	 16
#define FX_MXCSR 24
#define FX_ST0	 32  /* 16 bytes a register, 10 used */
#define FX_XMM0	 160 /* 16 bytes a register */

/* gdb's general registers 0-15 by the x86 encoding keel keeps them in. */
static const u8 gpr_of[16] = {RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP,
			      R8,  R9,	R10, R11, R12, R13, R14, R15};

u32 gdb_reg_size(u32 n)
{
	if (n < 16 || n == GDB_RIP || (n >= GDB_FS_BASE && n < GDB_NREGS))
		return 8;
	if (n >= GDB_ST0 && n < GDB_FCTRL)
		return 10;
	if (n >= GDB_XMM0 && n < GDB_MXCSR)
		return 16;
	return n < GDB_NREGS ? 4 : 0;
}

static u64 get_le(const u8 *p, u32 n)
{
	u64 v = 0;
	for (u32 i = n; i--;)
		v = v << 8 | p[i];
	return v;
}

static void put_le(u8 *p, u64 v, u32 n)
{
	for (u32 i = 0; i < n; i++, v >>= 8)
		p[i] = (u8)v;
}

#define AT(f) __builtin_offsetof(struct vcpu_arch_state, f)

/* The segment registers gdb numbers 18-23. */
static struct seg *seg_of(struct vcpu_arch_state *s, u32 n)
{
	static const u16 at[] = {AT(cs), AT(ss), AT(ds), AT(es), AT(fs), AT(gs)};
	return (struct seg *)((u8 *)s + at[n - GDB_CS]);
}

/* The system registers gdb numbers 57-65 (keel's feature). */
static u64 *sys_of(struct vcpu_arch_state *s, u32 n)
{
	static const u16 at[] = {AT(fs.base), AT(gs.base), AT(kernel_gs_base),
				 AT(cr0),     AT(cr2),	   AT(cr3),
				 AT(cr4),     AT(cr8),	   AT(efer)};
	return (u64 *)((u8 *)s + at[n - GDB_FS_BASE]);
}

/* The full x87 tag word from FXSAVE's abridged one (SDM vol. 1 10.5.1.1): an empty register
 * is 11b, else its contents decide (8.1.7): zero 01b, special (NaN, infinity, denormal,
 * unsupported) 10b, valid 00b. Tags are by physical register; ST(i) is physical TOP+i. */
static u32 full_tag(const u8 *fx)
{
	u32 top = (u32)(get_le(fx + FX_FSW, 2) >> 11) & 7, tags = 0;
	for (u32 p = 0; p < 8; p++) {
		const u8 *r = fx + FX_ST0 + 16 * ((p - top) & 7);
		u64 mant = get_le(r, 8);
		u32 exp = (u32)get_le(r + 8, 2) & 0x7fff, tag;
		if (!(fx[FX_FTW] & BIT(p)))
			tag = 3;
		else if (exp == 0x7fff || (exp == 0 && mant))
			tag = 2;
		else if (exp == 0)
			tag = 1;
		else
			tag = mant >> 63 ? 0 : 2;
		tags |= tag << (2 * p);
	}
	return tags;
}

/* The x87 control registers gdb numbers 32-39. */
static u32 fpu_get(const u8 *fx, u32 n)
{
	switch (n - GDB_FCTRL) {
	case 0: return (u32)get_le(fx + FX_FCW, 2);
	case 1: return (u32)get_le(fx + FX_FSW, 2);
	case 2: return full_tag(fx);
	case 3: return (u32)get_le(fx + FX_FIP + 4, 2);
	case 4: return (u32)get_le(fx + FX_FIP, 4);
	case 5: return (u32)get_le(fx + FX_FDP + 4, 2);
	case 6: return (u32)get_le(fx + FX_FDP, 4);
	default: return (u32)get_le(fx + FX_FOP, 2) & 0x7ff;
	}
}

static void fpu_set(u8 *fx, u32 n, u32 v)
{
	static const u8 at[] = {FX_FCW, FX_FSW, 0, FX_FIP + 4, FX_FIP, FX_FDP + 4, FX_FDP, FX_FOP};
	static const u8 len[] = {2, 2, 0, 2, 4, 2, 4, 2};
	u32 i = n - GDB_FCTRL;
	if (i == 2) { /* back to the abridged form: only "empty" or not survives */
		u8 ftw = 0;
		for (u32 p = 0; p < 8; p++)
			if (((v >> (2 * p)) & 3) != 3)
				ftw |= (u8)BIT(p);
		fx[FX_FTW] = ftw;
		return;
	}
	put_le(fx + at[i], i == 7 ? v & 0x7ff : v, len[i]);
}

void gdb_reg_get(const struct gdb_cpu *c, u32 n, u8 *out)
{
	struct vcpu_arch_state *s = (struct vcpu_arch_state *)&c->s;
	if (n < 16)
		put_le(out, s->gpr[gpr_of[n]], 8);
	else if (n == GDB_RIP)
		put_le(out, s->rip, 8);
	else if (n == GDB_EFLAGS)
		put_le(out, s->rflags, 4);
	else if (n < GDB_ST0)
		put_le(out, seg_of(s, n)->sel, 4);
	else if (n < GDB_FCTRL)
		memcpy(out, c->fx + FX_ST0 + 16 * (n - GDB_ST0), 10);
	else if (n < GDB_XMM0)
		put_le(out, fpu_get(c->fx, n), 4);
	else if (n < GDB_MXCSR)
		memcpy(out, c->fx + FX_XMM0 + 16 * (n - GDB_XMM0), 16);
	else if (n == GDB_MXCSR)
		memcpy(out, c->fx + FX_MXCSR, 4);
	else if (n < GDB_NREGS)
		put_le(out, *sys_of(s, n), 8);
}

void gdb_regs_get(const struct gdb_cpu *c, u8 *out)
{
	for (u32 n = 0; n < GDB_NREGS; out += gdb_reg_size(n), n++)
		gdb_reg_get(c, n, out);
}

/* Bits 63:47 all equal (SDM vol. 1 3.3.7.1). */
static bool canonical(u64 a)
{
	return (u64)((s64)(a << 16) >> 16) == a;
}

/* RFLAGS: bit 1 set, bits 3, 5, 15 and 63:22 clear (SDM vol. 1 3.4.3). */
#define RFLAGS_OK 0x3f7fd7ULL
#define CR0_PE	  BIT(0)
#define CR0_NW	  BIT(29)
#define CR0_CD	  BIT(30)
#define CR0_PG	  BIT(31)
#define CR4_PAE	  BIT(5)
#define EFER_LME  BIT(8)
#define EFER_LMA  BIT(10)
#define EFER_OK	  0xfd01ULL /* SCE, LME, LMA, NXE, SVME, LMSLE, FFXSR, TCE */

/* What no CPU would run: the checks of a VM entry (SDM 26.3.1.1, APM 15.5.1) that gdb can
 * break by writing one register. NULL if s is fine. */
static const char *state_check(const struct vcpu_arch_state *s, const u8 *fx, u32 mxcsr_mask)
{
	if ((s->rflags & ~RFLAGS_OK) || !(s->rflags & 2))
		return "reserved EFLAGS bits";
	if (!canonical(s->rip) || !canonical(s->fs.base) || !canonical(s->gs.base) ||
	    !canonical(s->kernel_gs_base))
		return "a non-canonical address";
	if (s->cr0 >> 32 || ((s->cr0 & CR0_PG) && !(s->cr0 & CR0_PE)) ||
	    ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD)))
		return "an invalid CR0";
	if (s->cr4 >> 32 || s->cr3 >> 52 || s->cr8 > 15)
		return "reserved CR3, CR4 or CR8 bits";
	if ((s->efer & ~EFER_OK))
		return "reserved EFER bits";
	bool lma = (s->efer & EFER_LME) && (s->cr0 & CR0_PG);
	if (lma != !!(s->efer & EFER_LMA) || (lma && !(s->cr4 & CR4_PAE)))
		return "EFER.LMA must be EFER.LME and CR0.PG (and CR4.PAE)";
	if ((u32)get_le(fx + FX_MXCSR, 4) & ~mxcsr_mask)
		return "reserved MXCSR bits";
	return NULL;
}

/* Register n from in, on c's state, unchecked; false for a segment selector that changes
 * (a selector alone is no descriptor: keel would have to read the guest's GDT). */
static bool reg_put(struct gdb_cpu *c, u32 n, const u8 *in)
{
	struct vcpu_arch_state *s = &c->s;
	u64 v = get_le(in, gdb_reg_size(n) > 8 ? 8 : gdb_reg_size(n));
	if (n < 16)
		s->gpr[gpr_of[n]] = v;
	else if (n == GDB_RIP)
		s->rip = v;
	else if (n == GDB_EFLAGS)
		s->rflags = (u32)v;
	else if (n < GDB_ST0)
		return seg_of(s, n)->sel == v;
	else if (n < GDB_FCTRL)
		memcpy(c->fx + FX_ST0 + 16 * (n - GDB_ST0), in, 10);
	else if (n < GDB_XMM0)
		fpu_set(c->fx, n, (u32)v);
	else if (n < GDB_MXCSR)
		memcpy(c->fx + FX_XMM0 + 16 * (n - GDB_XMM0), in, 16);
	else if (n == GDB_MXCSR)
		put_le(c->fx + FX_MXCSR, v, 4);
	else
		*sys_of(s, n) = v;
	return true;
}

/* Write, check, and undo if refused. */
static const char *put_checked(struct gdb_cpu *c, u32 first, u32 last, const u8 *in)
{
	struct vcpu_arch_state old = c->s;
	u8 oldfx[512];
	memcpy(oldfx, c->fx, sizeof(oldfx));
	const char *why = NULL;
	for (u32 n = first; n <= last && !why; in += gdb_reg_size(n), n++)
		if (!reg_put(c, n, in))
			why = "a segment selector cannot change alone";
	if (!why)
		why = state_check(&c->s, c->fx, c->mxcsr_mask);
	if (why) {
		c->s = old;
		memcpy(c->fx, oldfx, sizeof(oldfx));
	}
	return why;
}

const char *gdb_reg_set(struct gdb_cpu *c, u32 n, const u8 *in)
{
	if (n >= GDB_NREGS)
		return "no such register";
	return put_checked(c, n, n, in);
}

const char *gdb_regs_set(struct gdb_cpu *c, const u8 *in)
{
	return put_checked(c, 0, GDB_NREGS - 1, in);
}
