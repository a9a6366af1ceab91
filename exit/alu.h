/* The arithmetic of the ALU and bit-test instructions that touch device memory (pure C,
 * host-tested). decode_insn() says which instruction it is; insn_alu() computes what it writes
 * and the RFLAGS it leaves, as the SDM vol. 1 appendix A (EFLAGS cross-reference) and each
 * instruction's page in vol. 2 say. */
#ifndef KEEL_ALU_H
#define KEEL_ALU_H

#include "exit/decode.h"

/* One ALU or bit-test instruction's operands and results. */
struct alu_io {
	u64 mem;    /* in: the memory operand as read; out: what to write if mem_write */
	u64 reg;    /* in: the register or immediate operand; out: what to write if reg_write */
	u64 rflags; /* in and out: the guest's RFLAGS */
	bool mem_write, reg_write;
};

/* Perform an INSN_ALU or INSN_BT instruction on io. */
void insn_alu(const struct insn *in, struct alu_io *io);

#endif
