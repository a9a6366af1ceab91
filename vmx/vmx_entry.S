/* int vmx_world_switch(struct guest_regs *regs [rdi], int launched [esi])
 *
 * Runs the guest until its next VM exit and returns 0, or returns 1 if VMLAUNCH/VMRESUME
 * itself failed (VMfailInvalid or VMfailValid: VM_INSN_ERROR says why). VT-x switches RSP,
 * RIP, RFLAGS, the control registers, segments, EFER and PAT through the VMCS (SDM 26, 27);
 * this stub switches the GPRs through regs. HOST_RSP is written on every entry (the stub's
 * frame), HOST_RIP once, to vmx_exit_point. A VM exit clears RFLAGS.IF, so keel continues
 * with interrupts off whatever the guest had.
 * Callee-saved registers are preserved; the rest are the caller's to lose.
 */
#include "kernel/gpr.h"

#define HOST_RSP 0x6c14

	.text
	.globl vmx_world_switch, vmx_exit_point
vmx_world_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi                    /* (%rsp) at the exit: regs */
	movq $HOST_RSP, %rax
	vmwrite %rsp, %rax

	cmpl $0, %esi                 /* the flags survive the loads below */
	movq GPR_RAX(%rdi), %rax
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
	movq GPR_RDI(%rdi), %rdi
	jne 1f
	vmlaunch
	jmp 2f
1:	vmresume
2:	/* Only reached when the entry failed: the guest never ran. */
	popq %rdi
	movl $1, %eax
	jmp 3f

vmx_exit_point:
	pushq %rdi                    /* the guest's RDI; regs is at 8(%rsp) */
	movq 8(%rsp), %rdi
	movq %rax, GPR_RAX(%rdi)
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
	popq GPR_RDI(%rdi)
	popq %rdi
	xorl %eax, %eax
3:	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
