/* int vmx_world_switch(struct guest_regs *regs [rdi], int launched [esi])
 *
 * Runs the guest until its next VM exit and returns 0, or returns 1 if VMLAUNCH/VMRESUME
 * itself failed (VMfailInvalid or VMfailValid: VMCS_VM_INSN_ERROR says why). VT-x switches RSP,
 * RIP, RFLAGS, the control registers, segments, EFER and PAT through the VMCS (SDM 26, 27);
 * this stub switches the GPRs through regs. VMCS_HOST_RSP is written on every entry (the stub's
 * frame), VMCS_HOST_RIP once, to vmx_exit_point. A VM exit clears RFLAGS.IF, so keel continues
 * with interrupts off whatever the guest had.
 * Callee-saved registers are preserved; the rest are the caller's to lose.
 */
#include "kernel/gpr.h"

#define VMCS_HOST_RSP 0x6c14

	.text
	.globl vmx_world_switch, vmx_exit_point
vmx_world_switch:
	CALLEE_SAVE
	pushq %rdi                    /* (%rsp) at the exit: regs */
	movq $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax

	cmpl $0, %esi                 /* the flags survive the loads below */
	movq GPR_RAX(%rdi), %rax
	GPR_LOAD
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
	GPR_STORE
	popq GPR_RDI(%rdi)
	popq %rdi
	xorl %eax, %eax
3:	CALLEE_RESTORE
	ret
