/* x86 instruction decoding for MMIO emulation (pure C, host-tested).
 *
 * A guest access to device memory exits with the guest-physical address but, without decode
 * assists, not with what the instruction does. decode_insn() reads the instruction bytes and
 * says: how long it is, whether it loads or stores, how many bytes, and which register or
 * immediate is involved. It handles the instruction forms compilers and kernels use for device
 * registers (MOV in all its forms, MOVZX/MOVSX, XCHG, STOS, MOVS, the ALU operations and TEST
 * with a memory operand, BT/BTS/BTR/BTC) in 16-, 32- and 64-bit code,
 * with every legacy prefix and REX. Anything else is DECODE_UNSUPPORTED: the caller stops the
 * VM with a logged reason instead of guessing. decode_exit_insn() does the same for the
 * instructions that exit by themselves: their length and prefixes. */
#ifndef KEEL_DECODE_H
#define KEEL_DECODE_H

#include "lib/types.h"

/* The guest's code size: CS.D/CS.L and CR0.PE decide it. Real mode and 16-bit protected mode
 * decode the same way. */
enum cpu_mode { CPU_MODE_REAL, CPU_MODE_PROT16, CPU_MODE_PROT32, CPU_MODE_LONG64 };

enum insn_op {
	INSN_LOAD,	/* reg <- mem: MOV r, r/m (8A, 8B); MOV AL/eAX, moffs (A0, A1) */
	INSN_STORE,	/* mem <- reg: MOV r/m, r (88, 89); MOV moffs, AL/eAX (A2, A3) */
	INSN_STORE_IMM, /* mem <- imm: MOV r/m, imm (C6 /0, C7 /0) */
	INSN_MOVZX,	/* reg <- zero-extended mem: 0F B6, 0F B7 */
	INSN_MOVSX,	/* reg <- sign-extended mem: 0F BE, 0F BF; MOVSXD (63) in 64-bit mode */
	INSN_XCHG,	/* mem <-> reg: 86, 87 */
	INSN_STOS,	/* [rDI] <- AL/eAX: AA, AB (REP allowed) */
	INSN_MOVS,	/* [rDI] <- [rSI]: A4, A5 (REP allowed) */
	INSN_ALU,	/* ADD/OR/ADC/SBB/AND/SUB/XOR/CMP (00-3B, 80, 81, 83), TEST (84, 85,
			 * F6 /0, F7 /0): alu says which; see exit/alu.h */
	INSN_BT,	/* BT/BTS/BTR/BTC m, r (0F A3, AB, B3, BB) and m, imm8 (0F BA /4-/7) */
};

/* INSN_ALU's operation: the ModRM.reg numbering of opcodes 80-83 (SDM vol. 2 table A-6),
 * then TEST. */
enum alu_op { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP, ALU_TEST };

/* INSN_BT's operation: 0F BA's ModRM.reg minus 4. */
enum bit_op { BIT_BT, BIT_BTS, BIT_BTR, BIT_BTC };

#define DECODE_OK	   0
#define DECODE_UNSUPPORTED (-1) /* not an instruction MMIO emulation handles */
#define DECODE_TRUNCATED   (-2) /* the bytes end before the instruction does */

struct insn {
	u8 len; /* total length, prefixes included (1..15) */
	enum insn_op op;
	u8 size;      /* bytes read from or written to memory: 1, 2, 4 or 8 */
	u8 reg_size;  /* size of the register operand: = size, except MOVZX/MOVSX (2, 4, 8) */
	u8 reg;	      /* register number: 0 rAX, 1 rCX, 2 rDX, 3 rBX, 4 rSP, 5 rBP, 6 rSI,
		       * 7 rDI, 8-15 r8-r15 (for STOS/MOVS: 0, i.e. rAX) */
	bool high8;   /* the register is AH, CH, DH or BH (byte reg 4-7 without REX);
		       * reg is then 0-3 (the full register whose bits 15:8 are meant) */
	u64 imm;      /* STORE_IMM, and ALU/BT with imm_src: the immediate, sign-extended to
		       * size as the CPU does (BT's imm8 is not extended) */
	u8 alu;	      /* ALU: enum alu_op; BT: enum bit_op */
	bool to_reg;  /* ALU: the register is the destination (02, 03, 0A, ... 3B) */
	bool imm_src; /* ALU/BT: the source is imm, not reg (80, 81, 83, F6, F7, 0F BA) */
	bool rep;     /* F3 (or F2) prefix on STOS/MOVS */
	u8 addr_size; /* 2, 4 or 8: width of rSI/rDI/rCX arithmetic for STOS/MOVS */
	u8 seg;	      /* segment override prefix byte (26, 2E, 36, 3E, 64, 65), 0 if none */
};

/* Decode the instruction at bytes[0..n) in the given mode. */
int decode_insn(const u8 *bytes, size_t n, enum cpu_mode mode, struct insn *out);

/* An instruction that exits by itself (CPUID, HLT, RDMSR/WRMSR, IN/OUT, INS/OUTS, VMMCALL,
 * XSETBV, MOV CR/DR, INVD, RDTSC, ...): what keel needs to skip it without NRIP-save (AMD-V
 * under QEMU's TCG, older AMD CPUs) and to perform string I/O without decode assists. */
struct insn_exit {
	u8 len;	      /* total length, prefixes included (1..15) */
	u8 seg;	      /* segment override prefix byte (26, 2E, 36, 3E, 64, 65), 0 if none */
	u8 addr_size; /* 2, 4 or 8 */
	bool rep;     /* F3 or F2 */
};

/* Decode an exiting instruction at bytes[0..n); DECODE_UNSUPPORTED for any other opcode. */
int decode_exit_insn(const u8 *bytes, size_t n, enum cpu_mode mode, struct insn_exit *out);

/* A MOV to or from a control register, for CR exits that do not name the register operand
 * (AMD-V without decode assists). */
struct mov_cr {
	u8 len;
	u8 cr;	    /* 0-15 */
	u8 gpr;	    /* 0-15, numbered as struct insn's reg */
	bool to_cr; /* MOV to CRn (0F 22, or DRn 0F 23); else MOV from it (0F 20, 0F 21) */
	bool dr;    /* a debug register (0F 21, 0F 23), for DR exits without decode assists */
};
int decode_mov_cr(const u8 *bytes, size_t n, enum cpu_mode mode, struct mov_cr *out);

#endif
