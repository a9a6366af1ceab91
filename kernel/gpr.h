/* Offsets of the guest GPRs in struct guest_regs, for the world-switch stubs (assembly) and
 * checked against the C struct in vm/vm.c. */
#ifndef KEEL_GPR_H
#define KEEL_GPR_H

#define GPR_RAX 0x00
#define GPR_RCX 0x08
#define GPR_RDX 0x10
#define GPR_RBX 0x18
#define GPR_RSP 0x20
#define GPR_RBP 0x28
#define GPR_RSI 0x30
#define GPR_RDI 0x38
#define GPR_R8	0x40
#define GPR_R9	0x48
#define GPR_R10 0x50
#define GPR_R11 0x58
#define GPR_R12 0x60
#define GPR_R13 0x68
#define GPR_R14 0x70
#define GPR_R15 0x78

#ifdef __ASSEMBLER__
/* clang-format off */
/* The world-switch stubs' shared moves: every GPR but RAX, RSP and RDI between the CPU and the
 * struct guest_regs that %rdi points to (RAX and RDI differ per backend; RSP is in the VMCB or
 * VMCS). GPR_LOAD leaves %rdi as it is; GPR_STORE needs %rdi = regs. */
.macro GPR_LOAD
	movq GPR_RCX(%rdi), %rcx
	movq GPR_RDX(%rdi), %rdx
	movq GPR_RBX(%rdi), %rbx
	movq GPR_RBP(%rdi), %rbp
	movq GPR_RSI(%rdi), %rsi
	movq GPR_R8(%rdi), %r8
	movq GPR_R9(%rdi), %r9
	movq GPR_R10(%rdi), %r10
	movq GPR_R11(%rdi), %r11
	movq GPR_R12(%rdi), %r12
	movq GPR_R13(%rdi), %r13
	movq GPR_R14(%rdi), %r14
	movq GPR_R15(%rdi), %r15
.endm

.macro GPR_STORE
	movq %rcx, GPR_RCX(%rdi)
	movq %rdx, GPR_RDX(%rdi)
	movq %rbx, GPR_RBX(%rdi)
	movq %rbp, GPR_RBP(%rdi)
	movq %rsi, GPR_RSI(%rdi)
	movq %r8, GPR_R8(%rdi)
	movq %r9, GPR_R9(%rdi)
	movq %r10, GPR_R10(%rdi)
	movq %r11, GPR_R11(%rdi)
	movq %r12, GPR_R12(%rdi)
	movq %r13, GPR_R13(%rdi)
	movq %r14, GPR_R14(%rdi)
	movq %r15, GPR_R15(%rdi)
.endm

/* The System V callee-saved registers, kept across a stub. */
.macro CALLEE_SAVE
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

.macro CALLEE_RESTORE
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
.endm
/* clang-format on */
#endif

#endif
