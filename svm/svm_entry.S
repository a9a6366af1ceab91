/* void svm_world_switch(struct guest_regs *regs [rdi], u64 vmcb_pa [rsi],
 *                       u64 host_vmcb_pa [rdx])
 *
 * Runs the guest until its next #VMEXIT. VMRUN switches RAX, RSP, RIP, RFLAGS, the control
 * registers and CS/SS/DS/ES itself (APM 15.5); this stub switches the other GPRs through
 * regs, and VMLOAD/VMSAVE switch FS, GS, TR, LDTR, KernelGSBase and the SYSCALL/SYSENTER
 * MSRs (host copies live in host_vmcb_pa, saved once per CPU by svm_cpu_enable).
 *
 * Host interrupts: GIF is cleared and RFLAGS.IF set before VMRUN, so with V_INTR_MASKING a
 * host interrupt arriving while the guest runs causes an INTR exit (APM 15.21.1). After the
 * exit IF is cleared before GIF is set: the interrupt stays pending until exit_intr() takes it.
 * Callee-saved registers are preserved; the rest are the caller's to lose.
 */
#include "kernel/gpr.h"

	.text
	.globl svm_world_switch
svm_world_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi                    /* 8(%rsp) after the push below: regs */
	pushq %rdx                    /* (%rsp): host VMCB */
	movq %rsi, %rax               /* VMLOAD, VMRUN and VMSAVE take the VMCB in RAX */

	clgi
	sti
	vmload %rax

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

	vmrun %rax                    /* returns at #VMEXIT with RAX = the VMCB again */

	pushq %rdi                    /* the guest's RDI; regs is now at 16(%rsp) */
	movq 16(%rsp), %rdi
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

	vmsave %rax                   /* the guest's FS, GS, TR... into its VMCB */
	popq %rax
	vmload %rax                   /* keel's back */
	cli
	stgi

	popq %rdi
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
