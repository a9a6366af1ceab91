/* ALU and bit-test arithmetic with the RFLAGS each instruction leaves (SDM vol. 1 appendix A,
 * table A-2; vol. 2 "ADD", "ADC", "SUB", "SBB", "CMP", "AND", "OR", "XOR", "TEST", "BT",
 * "BTS", "BTR", "BTC"). Flags the SDM calls undefined are left as they were, except AF after
 * the logical operations, which is cleared as current CPUs do. */
#include "exit/alu.h"

#define F_CF	BIT(0)
#define F_PF	BIT(2)
#define F_AF	BIT(4)
#define F_ZF	BIT(6)
#define F_SF	BIT(7)
#define F_OF	BIT(11)
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

static u64 width_mask(u8 size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* PF: set when the low byte of the result has an even number of ones. */
static u64 parity(u64 r)
{
	u8 b = (u8)r;
	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return (b & 1) ? 0 : F_PF;
}

/* ZF, SF and PF from a result of size bytes. */
static u64 szp(u64 r, u8 size)
{
	u64 sign = 1ull << (8 * size - 1);
	return (r ? 0 : F_ZF) | ((r & sign) ? F_SF : 0) | parity(r);
}

/* ADD and ADC: carry out of the top bit, signed overflow, carry out of bit 3. */
static u64 add_flags(u64 d, u64 s, u64 r, u8 size)
{
	u64 top = 1ull << (8 * size - 1);
	u64 carries = (d & s) | ((d | s) & ~r);
	return ((carries & top) ? F_CF : 0) | (((d ^ r) & (s ^ r) & top) ? F_OF : 0) |
	       (((d ^ s ^ r) & 0x10) ? F_AF : 0) | szp(r, size);
}

/* SUB, SBB and CMP: borrow into the top bit, signed overflow, borrow from bit 4. */
static u64 sub_flags(u64 d, u64 s, u64 r, u8 size)
{
	u64 top = 1ull << (8 * size - 1);
	u64 borrows = (~d & s) | ((~d | s) & r);
	return ((borrows & top) ? F_CF : 0) | (((d ^ s) & (d ^ r) & top) ? F_OF : 0) |
	       (((d ^ s ^ r) & 0x10) ? F_AF : 0) | szp(r, size);
}

/* dst op src for the eight ALU operations and TEST; *fl gets the six arithmetic flags. */
static u64 alu_op(u8 op, u8 size, u64 d, u64 s, u64 *fl)
{
	u64 m = width_mask(size), cf = *fl & F_CF, r;
	d &= m, s &= m;
	switch (op) {
	case ALU_ADD:
		r = (d + s) & m;
		*fl = add_flags(d, s, r, size);
		return r;
	case ALU_ADC:
		r = (d + s + cf) & m;
		*fl = add_flags(d, s, r, size);
		return r;
	case ALU_SUB:
	case ALU_CMP:
		r = (d - s) & m;
		*fl = sub_flags(d, s, r, size);
		return r;
	case ALU_SBB:
		r = (d - s - cf) & m;
		*fl = sub_flags(d, s, r, size);
		return r;
	case ALU_OR: r = d | s; break;
	case ALU_AND:
	case ALU_TEST: r = d & s; break;
	case ALU_XOR: r = d ^ s; break;
	default: r = d; break; /* not reached: decode_insn makes no other */
	}
	*fl = szp(r, size); /* logical: CF, OF and AF clear */
	return r;
}

/* BT/BTS/BTR/BTC: CF is the selected bit (taken modulo the operand width, the access keel was
 * given being the unit that holds it); ZF is unaffected, OF, SF, AF, PF are undefined and kept. */
static u64 bit_op(u8 op, u8 size, u64 val, u64 bit, u64 *fl)
{
	u64 b = 1ull << (bit & (8 * size - 1));
	*fl = (*fl & ~F_CF) | ((val & b) ? F_CF : 0);
	switch (op) {
	case BIT_BTS: return val | b;
	case BIT_BTR: return val & ~b;
	case BIT_BTC: return val ^ b;
	default: return val;
	}
}

void insn_alu(const struct insn *in, struct alu_io *io)
{
	u64 fl = io->rflags & F_ARITH;
	io->mem_write = io->reg_write = false;
	if (in->op == INSN_BT) {
		io->mem = bit_op(in->alu, in->size, io->mem, io->reg, &fl);
		io->mem_write = in->alu != BIT_BT;
	} else if (in->to_reg) {
		io->reg = alu_op(in->alu, in->size, io->reg, io->mem, &fl);
		io->reg_write = in->alu != ALU_CMP && in->alu != ALU_TEST;
	} else {
		io->mem = alu_op(in->alu, in->size, io->mem, io->reg, &fl);
		io->mem_write = in->alu != ALU_CMP && in->alu != ALU_TEST;
	}
	u64 keep = in->op == INSN_BT ? (F_ARITH & ~F_CF) : 0;
	io->rflags = (io->rflags & ~F_ARITH) | (io->rflags & keep) | (fl & ~keep);
}
