/* x86 instruction decoding for MMIO emulation (pure C, host-tested). Two tables drive it: which
 * bytes are prefixes, and what each supported opcode is; the rest is the ModRM length rules of
 * SDM vol. 2 chapter 2. */
#include "exit/decode.h"
#include "lib/string.h"

#define MAX_INSN_LEN 15 /* SDM 2.3.11: a longer instruction raises #GP */

enum prefix_kind { PFX_NONE, PFX_OPSIZE, PFX_ADDRSIZE, PFX_REP, PFX_LOCK, PFX_SEG };

/* SDM 2.1.1: the legacy prefixes, in four groups the CPU accepts in any order. */
static const u8 prefix_kinds[256] = {
	[0xf0] = PFX_LOCK,     [0xf2] = PFX_REP, [0xf3] = PFX_REP, /* group 1 */
	[0x26] = PFX_SEG,      [0x2e] = PFX_SEG, [0x36] = PFX_SEG,
	[0x3e] = PFX_SEG,      [0x64] = PFX_SEG, [0x65] = PFX_SEG, /* group 2 */
	[0x66] = PFX_OPSIZE,					   /* group 3 */
	[0x67] = PFX_ADDRSIZE,					   /* group 4 */
};

/* REX.B and REX.X extend the memory operand's registers, which decoding never names. */
#define REX_R 0x04 /* extends ModRM.reg */
#define REX_W 0x08 /* 64-bit operand size */

/* What an opcode needs beyond its byte. */
#define F_VALID	 0x01  /* an opcode MMIO emulation handles */
#define F_BYTE	 0x02  /* the memory operand is one byte */
#define F_WORD	 0x04  /* the memory operand is two bytes (MOVZX/MOVSX from r/m16) */
#define F_MODRM	 0x08  /* a ModRM byte naming memory, with SIB and displacement */
#define F_MOFFS	 0x10  /* an address-size offset instead of ModRM (A0-A3) */
#define F_IMM	 0x20  /* an immediate after the memory operand; ModRM.reg must be 0 */
#define F_STRING 0x40  /* operands implied by rSI/rDI; REP allowed */
#define F_MOVSXD 0x80  /* 64-bit mode only (63 is ARPL elsewhere); 4 bytes if REX.W */
#define F_GROUP	 0x100 /* ModRM.reg is the ALU operation (80, 81, 83); an immediate follows */
#define F_IMM8S	 0x200 /* the immediate is one byte, sign-extended to the operand size (83) */
#define F_BTGRP	 0x400 /* ModRM.reg 4-7 is BT/BTS/BTR/BTC (0F BA); an imm8 follows */
#define F_TOREG	 0x800 /* the register operand is the destination (02, 03, 0A, ...) */

struct opcode {
	u8 op;	/* enum insn_op */
	u8 alu; /* enum alu_op or enum bit_op, when not chosen by ModRM.reg */
	u16 flags;
};

/* SDM vol. 2 table A-2: each ALU operation's four ModRM forms at 8 * operation: r/m8 op= r8,
 * r/m op= r, r8 op= r/m8, r op= r/m. */
#define ALU_ROW(a)                                                                  \
	[8 * (a)] = {INSN_ALU, (a), F_VALID | F_BYTE | F_MODRM},                    \
	     [8 * (a) + 1] = {INSN_ALU, (a), F_VALID | F_MODRM},                    \
	     [8 * (a) + 2] = {INSN_ALU, (a), F_VALID | F_BYTE | F_MODRM | F_TOREG}, \
	     [8 * (a) + 3] = {INSN_ALU, (a), F_VALID | F_MODRM | F_TOREG}

/* SDM vol. 2 appendix A, one-byte opcode map: the MOV, XCHG, STOS, MOVS, ALU and TEST forms.
 * 82 (80's alias, invalid in 64-bit mode) is left out: no compiler emits it. */
static const struct opcode one_byte[256] = {
	ALU_ROW(ALU_ADD),
	ALU_ROW(ALU_OR),
	ALU_ROW(ALU_ADC),
	ALU_ROW(ALU_SBB),
	ALU_ROW(ALU_AND),
	ALU_ROW(ALU_SUB),
	ALU_ROW(ALU_XOR),
	ALU_ROW(ALU_CMP),
	[0x80] = {INSN_ALU, 0, F_VALID | F_BYTE | F_MODRM | F_GROUP},
	[0x81] = {INSN_ALU, 0, F_VALID | F_MODRM | F_GROUP},
	[0x83] = {INSN_ALU, 0, F_VALID | F_MODRM | F_GROUP | F_IMM8S},
	[0x84] = {INSN_ALU, ALU_TEST, F_VALID | F_BYTE | F_MODRM},
	[0x85] = {INSN_ALU, ALU_TEST, F_VALID | F_MODRM},
	[0xf6] = {INSN_ALU, ALU_TEST, F_VALID | F_BYTE | F_MODRM | F_IMM}, /* F6 /0 */
	[0xf7] = {INSN_ALU, ALU_TEST, F_VALID | F_MODRM | F_IMM},	   /* F7 /0 */
	[0x88] = {INSN_STORE, 0, F_VALID | F_BYTE | F_MODRM},
	[0x89] = {INSN_STORE, 0, F_VALID | F_MODRM},
	[0x8a] = {INSN_LOAD, 0, F_VALID | F_BYTE | F_MODRM},
	[0x8b] = {INSN_LOAD, 0, F_VALID | F_MODRM},
	[0xa0] = {INSN_LOAD, 0, F_VALID | F_BYTE | F_MOFFS},
	[0xa1] = {INSN_LOAD, 0, F_VALID | F_MOFFS},
	[0xa2] = {INSN_STORE, 0, F_VALID | F_BYTE | F_MOFFS},
	[0xa3] = {INSN_STORE, 0, F_VALID | F_MOFFS},
	[0xc6] = {INSN_STORE_IMM, 0, F_VALID | F_BYTE | F_MODRM | F_IMM},
	[0xc7] = {INSN_STORE_IMM, 0, F_VALID | F_MODRM | F_IMM},
	[0x86] = {INSN_XCHG, 0, F_VALID | F_BYTE | F_MODRM},
	[0x87] = {INSN_XCHG, 0, F_VALID | F_MODRM},
	[0xaa] = {INSN_STOS, 0, F_VALID | F_BYTE | F_STRING},
	[0xab] = {INSN_STOS, 0, F_VALID | F_STRING},
	[0xa4] = {INSN_MOVS, 0, F_VALID | F_BYTE | F_STRING},
	[0xa5] = {INSN_MOVS, 0, F_VALID | F_STRING},
	[0x63] = {INSN_MOVSX, 0, F_VALID | F_MODRM | F_MOVSXD},
};

/* The two-byte map (after 0F): MOVZX, MOVSX and the bit tests. */
static const struct opcode two_byte[256] = {
	[0xb6] = {INSN_MOVZX, 0, F_VALID | F_BYTE | F_MODRM},
	[0xb7] = {INSN_MOVZX, 0, F_VALID | F_WORD | F_MODRM},
	[0xbe] = {INSN_MOVSX, 0, F_VALID | F_BYTE | F_MODRM},
	[0xbf] = {INSN_MOVSX, 0, F_VALID | F_WORD | F_MODRM},
	[0xa3] = {INSN_BT, BIT_BT, F_VALID | F_MODRM},
	[0xab] = {INSN_BT, BIT_BTS, F_VALID | F_MODRM},
	[0xb3] = {INSN_BT, BIT_BTR, F_VALID | F_MODRM},
	[0xbb] = {INSN_BT, BIT_BTC, F_VALID | F_MODRM},
	[0xba] = {INSN_BT, 0, F_VALID | F_MODRM | F_BTGRP},
};

/* Where decoding stands and what the prefixes said. */
struct decoder {
	const u8 *b;
	size_t n, pos;
	enum cpu_mode mode;
	bool opsize, addrsize, rep, lock;
	u8 rex, seg;
};

/* Are the k bytes at pos there? Too long wins over truncated: no longer buffer would help. */
static int need(const struct decoder *d, size_t k)
{
	if (d->pos + k > MAX_INSN_LEN)
		return DECODE_UNSUPPORTED;
	if (d->pos + k > d->n)
		return DECODE_TRUNCATED;
	return DECODE_OK;
}

/* Consume k bytes as a little-endian number; need() has been checked. */
static u64 take(struct decoder *d, size_t k)
{
	u64 v = 0;
	for (size_t i = 0; i < k; i++)
		v |= (u64)d->b[d->pos + i] << (8 * i);
	d->pos += k;
	return v;
}

/* Read legacy prefixes and REX up to the opcode. SDM 2.2.1: a REX counts only right before the
 * opcode; one followed by a legacy prefix is ignored, and of several REX the last counts. */
static int read_prefixes(struct decoder *d)
{
	for (;;) {
		int r = need(d, 1);
		if (r)
			return r;
		u8 b = d->b[d->pos];
		if (d->mode == CPU_MODE_LONG64 && (b & 0xf0) == 0x40) {
			d->rex = b;
			d->pos++;
			continue;
		}
		switch (prefix_kinds[b]) {
		case PFX_NONE: return DECODE_OK;
		case PFX_OPSIZE: d->opsize = true; break;
		case PFX_ADDRSIZE: d->addrsize = true; break;
		case PFX_REP: d->rep = true; break;
		case PFX_SEG: d->seg = b; break;
		case PFX_LOCK:
			d->lock = true; /* XCHG locks anyway; a locked MOV #UDs before it could exit
					 */
			break;
		}
		d->rex = 0;
		d->pos++;
	}
}

/* SDM 3.6 table 3-3 and 2.2.1.2: the operand size of a non-byte opcode. */
static u8 operand_size(const struct decoder *d)
{
	switch (d->mode) {
	case CPU_MODE_LONG64:
		if (d->rex & REX_W)
			return 8;
		return d->opsize ? 2 : 4;
	case CPU_MODE_PROT32: return d->opsize ? 2 : 4;
	case CPU_MODE_REAL:
	case CPU_MODE_PROT16: break;
	}
	return d->opsize ? 4 : 2;
}

/* The address size: 0x67 toggles between the mode's default and its alternative. */
static u8 address_size(const struct decoder *d)
{
	switch (d->mode) {
	case CPU_MODE_LONG64: return d->addrsize ? 4 : 8;
	case CPU_MODE_PROT32: return d->addrsize ? 2 : 4;
	case CPU_MODE_REAL:
	case CPU_MODE_PROT16: break;
	}
	return d->addrsize ? 4 : 2;
}

/* Bytes of displacement after ModRM (and SIB) for a memory operand. 16-bit addressing is SDM
 * table 2-1; 32/64-bit is tables 2-2 and 2-3, where mod=0 rm=5 is disp32 (RIP-relative in 64-bit
 * mode) and a SIB base of 5 with mod=0 is disp32 with no base. REX.B does not change either. */
static size_t disp_len(u8 modrm, u8 sib, u8 addr_size)
{
	u8 mod = modrm >> 6, rm = modrm & 7;
	if (addr_size == 2)
		return mod == 1 ? 1 : mod == 2 ? 2 : rm == 6 ? 2 : 0;
	if (mod == 1)
		return 1;
	if (mod == 2)
		return 4;
	if (rm == 5 || (rm == 4 && (sib & 7) == 5))
		return 4;
	return 0;
}

/* Read ModRM, SIB and displacement; the register operand goes to out->reg. */
static int read_modrm(struct decoder *d, const struct opcode *o, struct insn *out)
{
	int r = need(d, 1);
	if (r)
		return r;
	u8 modrm = (u8)take(d, 1);
	u8 reg = (modrm >> 3) & 7;
	if ((modrm >> 6) == 3)
		return DECODE_UNSUPPORTED; /* register to register: no memory was touched */
	if ((o->flags & F_IMM) && reg != 0)
		return DECODE_UNSUPPORTED; /* C6/C7 /1-/7 are not MOV, F6/F7 /1-/7 not TEST */
	if ((o->flags & F_BTGRP) && reg < 4)
		return DECODE_UNSUPPORTED; /* 0F BA /0-/3 are reserved */
	if (o->flags & F_GROUP)
		out->alu = reg;
	else if (o->flags & F_BTGRP)
		out->alu = reg - 4;
	u8 sib = 0;
	if (out->addr_size != 2 && (modrm & 7) == 4) {
		r = need(d, 1);
		if (r)
			return r;
		sib = (u8)take(d, 1);
	}
	size_t disp = disp_len(modrm, sib, out->addr_size);
	r = need(d, disp);
	if (r)
		return r;
	d->pos += disp;
	if (o->flags & (F_IMM | F_GROUP | F_BTGRP))
		return DECODE_OK;
	out->reg = reg | ((d->rex & REX_R) ? 8 : 0);
	/* SDM 3.4.1.1: without REX, byte registers 4-7 are AH, CH, DH, BH; with any REX they are
	 * SPL, BPL, SIL, DIL. */
	if (out->reg_size == 1 && !d->rex && reg >= 4) {
		out->high8 = true;
		out->reg = reg - 4;
	}
	return DECODE_OK;
}

/* Read the immediate: imm8, imm16 or imm32 by operand size, with REX.W the imm32
 * sign-extended (C6, C7, 80, 81, F6, F7); 83's imm8 sign-extended to the operand size; 0F BA's
 * imm8 as it is (a bit number). */
static int read_imm(struct decoder *d, u16 flags, struct insn *out)
{
	bool imm8 = flags & (F_IMM8S | F_BTGRP);
	size_t k = imm8 ? 1 : out->size == 8 ? 4 : out->size;
	int r = need(d, k);
	if (r)
		return r;
	out->imm = take(d, k);
	if (flags & F_IMM8S)
		out->imm = (u64)(s64)(s8)(u8)out->imm;
	else if (k == 4)
		out->imm = (u64)(s64)(s32)(u32)out->imm;
	if (!(flags & F_BTGRP) && out->size < 8)
		out->imm &= (1ull << (8 * out->size)) - 1;
	return DECODE_OK;
}

/* Fill op, size and reg_size from the opcode and the prefixes. */
static void set_sizes(const struct decoder *d, const struct opcode *o, struct insn *out)
{
	u8 osize = operand_size(d);
	out->op = (enum insn_op)o->op;
	out->alu = o->alu;
	out->to_reg = o->flags & F_TOREG;
	out->imm_src = (out->op == INSN_ALU || out->op == INSN_BT) &&
		       (o->flags & (F_IMM | F_GROUP | F_BTGRP));
	out->size = (o->flags & F_BYTE) ? 1 : (o->flags & F_WORD) ? 2 : osize;
	out->reg_size = out->size;
	if (out->op == INSN_MOVZX || out->op == INSN_MOVSX)
		out->reg_size = osize;
	/* MOVSXD without REX.W is a plain move of the operand size (SDM MOVSX/MOVSXD). */
	if ((o->flags & F_MOVSXD) && osize != 8)
		out->op = INSN_LOAD;
	else if (o->flags & F_MOVSXD)
		out->size = 4;
}

/* Take the opcode: one byte, or 0F and one (then *two is set). */
static int take_opcode(struct decoder *d, u8 *opc, bool *two)
{
	int r = need(d, 1);
	if (r)
		return r;
	*opc = (u8)take(d, 1);
	*two = *opc == 0x0f;
	if (!*two)
		return DECODE_OK;
	r = need(d, 1);
	if (!r)
		*opc = (u8)take(d, 1);
	return r;
}

/* Read the opcode and look it up. */
static int read_opcode(struct decoder *d, const struct opcode **o)
{
	u8 opc;
	bool two;
	int r = take_opcode(d, &opc, &two);
	if (r)
		return r;
	*o = two ? &two_byte[opc] : &one_byte[opc];
	if (!((*o)->flags & F_VALID))
		return DECODE_UNSUPPORTED;
	if (((*o)->flags & F_MOVSXD) && d->mode != CPU_MODE_LONG64)
		return DECODE_UNSUPPORTED;
	return DECODE_OK;
}

/* Prefixes, opcode, then the operand bytes the opcode's flags ask for; len is where it ends. */
int decode_insn(const u8 *bytes, size_t n, enum cpu_mode mode, struct insn *out)
{
	struct decoder d = {.b = bytes, .n = n, .mode = mode};
	const struct opcode *o;
	memset(out, 0, sizeof(*out));
	int r = read_prefixes(&d);
	if (!r)
		r = read_opcode(&d, &o);
	if (r)
		return r;
	out->addr_size = address_size(&d);
	out->seg = d.seg;
	set_sizes(&d, o, out);
	if (o->flags & F_MODRM) {
		r = read_modrm(&d, o, out);
	} else if (o->flags & F_MOFFS) {
		r = need(&d, out->addr_size);
		d.pos += r ? 0 : out->addr_size;
	} else if (o->flags & F_STRING) {
		out->rep = d.rep; /* the only forms where REP means a count */
	}
	if (!r && (o->flags & (F_IMM | F_GROUP | F_BTGRP)))
		r = read_imm(&d, o->flags, out);
	if (r)
		return r;
	out->len = (u8)d.pos;
	return DECODE_OK;
}

/* The operand bytes after an opcode that exits by itself. */
enum exit_form {
	XF_NONE,     /* not an exiting instruction */
	XF_ALONE,    /* the opcode is the whole instruction */
	XF_IMM8,     /* an imm8 follows: IN/OUT with a port number */
	XF_MODRM,    /* a ModRM operand, memory forms with SIB and displacement */
	XF_MODRM_RR, /* a ModRM whose mod field is ignored: MOV CR/DR (SDM vol. 2 "MOV-Move
		      * to/from Control Registers") */
};

/* SDM vol. 2 appendix A / APM vol. 3 appendix A: the one-byte opcodes keel intercepts. */
static const u8 exit_one_byte[256] = {
	[0xf4] = XF_ALONE,		      /* HLT */
	[0x6c] = XF_ALONE, [0x6d] = XF_ALONE, /* INS */
	[0x6e] = XF_ALONE, [0x6f] = XF_ALONE, /* OUTS */
	[0xe4] = XF_IMM8,  [0xe5] = XF_IMM8,  /* IN imm8 */
	[0xe6] = XF_IMM8,  [0xe7] = XF_IMM8,  /* OUT imm8 */
	[0xec] = XF_ALONE, [0xed] = XF_ALONE, /* IN DX */
	[0xee] = XF_ALONE, [0xef] = XF_ALONE, /* OUT DX */
};

/* The two-byte map (after 0F). 0F 01 holds VMRUN..INVLPGA, VMMCALL/VMCALL, XSETBV, MONITOR,
 * MWAIT, RDTSCP, INVLPG and LMSW, all as ModRM forms. */
static const u8 exit_two_byte[256] = {
	[0x01] = XF_MODRM,    [0x06] = XF_ALONE,    /* CLTS */
	[0x08] = XF_ALONE,    [0x09] = XF_ALONE,    /* INVD, WBINVD */
	[0x20] = XF_MODRM_RR, [0x21] = XF_MODRM_RR, /* MOV from CR, DR */
	[0x22] = XF_MODRM_RR, [0x23] = XF_MODRM_RR, /* MOV to CR, DR */
	[0x30] = XF_ALONE,    [0x31] = XF_ALONE,    /* WRMSR, RDTSC */
	[0x32] = XF_ALONE,    [0x33] = XF_ALONE,    /* RDMSR, RDPMC */
	[0xa2] = XF_ALONE,			    /* CPUID */
};

/* Skip a ModRM operand; the mod field decides whether SIB and displacement follow. */
static int skip_modrm(struct decoder *d, u8 addr_size, bool reg_only)
{
	int r = need(d, 1);
	if (r)
		return r;
	u8 modrm = (u8)take(d, 1), sib = 0;
	if (reg_only || (modrm >> 6) == 3)
		return DECODE_OK;
	if (addr_size != 2 && (modrm & 7) == 4) {
		r = need(d, 1);
		if (r)
			return r;
		sib = (u8)take(d, 1);
	}
	size_t disp = disp_len(modrm, sib, addr_size);
	r = need(d, disp);
	if (!r)
		d->pos += disp;
	return r;
}

/* Read the opcode of an exiting instruction and its form. */
static int read_exit_opcode(struct decoder *d, u8 *form)
{
	u8 opc;
	bool two;
	int r = take_opcode(d, &opc, &two);
	if (r)
		return r;
	*form = two ? exit_two_byte[opc] : exit_one_byte[opc];
	return *form == XF_NONE ? DECODE_UNSUPPORTED : DECODE_OK;
}

/* Prefixes, opcode, then the ModRM or immediate its form asks for. */
int decode_exit_insn(const u8 *bytes, size_t n, enum cpu_mode mode, struct insn_exit *out)
{
	struct decoder d = {.b = bytes, .n = n, .mode = mode};
	u8 form = XF_NONE;
	memset(out, 0, sizeof(*out));
	int r = read_prefixes(&d);
	if (!r)
		r = read_exit_opcode(&d, &form);
	if (r)
		return r;
	out->addr_size = address_size(&d);
	out->seg = d.seg;
	out->rep = d.rep;
	if (form == XF_IMM8) {
		r = need(&d, 1);
		d.pos += r ? 0 : 1;
	} else if (form == XF_MODRM || form == XF_MODRM_RR) {
		r = skip_modrm(&d, out->addr_size, form == XF_MODRM_RR);
	}
	if (r)
		return r;
	out->len = (u8)d.pos;
	return DECODE_OK;
}

/* MOV to or from a control register (0F 22 /r, 0F 20 /r; SDM vol. 2 "MOV-Move to/from Control
 * Registers"): ModRM.reg (with REX.R) names the CR and ModRM.rm (with REX.B) the GPR, whatever
 * ModRM.mod says; AMD's LOCK prefix adds 8 to the CR number (APM vol. 3 "MOV CRn"). */
int decode_mov_cr(const u8 *bytes, size_t n, enum cpu_mode mode, struct mov_cr *out)
{
	struct decoder d = {.b = bytes, .n = n, .mode = mode};
	memset(out, 0, sizeof(*out));
	int r = read_prefixes(&d);
	if (!r)
		r = need(&d, 3);
	if (r)
		return r;
	u8 esc = (u8)take(&d, 1), opc = (u8)take(&d, 1), modrm = (u8)take(&d, 1);
	if (esc != 0x0f || opc < 0x20 || opc > 0x23)
		return DECODE_UNSUPPORTED;
	out->to_cr = opc & 2;
	out->dr = opc & 1;
	out->cr = (u8)(((modrm >> 3) & 7) | ((d.rex & REX_R) || d.lock ? 8 : 0));
	out->gpr = (u8)((modrm & 7) | ((d.rex & 0x01) ? 8 : 0)); /* REX.B */
	out->len = (u8)d.pos;
	return DECODE_OK;
}
