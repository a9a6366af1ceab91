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
 *
 * Under QEMU's multi-threaded TCG (10.0.2) the fetch of the instruction after VMRUN sometimes
 * page-faults with keel's CR3 although its page is mapped and keel's page tables never change
 * after start-up: QEMU's bug (README "QEMU's multi-threaded TCG"), not this stub's; keel-run
 * runs TCG single-threaded.
 */
#include "kernel/gpr.h"

	.text
	.globl svm_world_switch
svm_world_switch:
	CALLEE_SAVE
	pushq %rdi                    /* 8(%rsp) after the push below: regs */
	pushq %rdx                    /* (%rsp): host VMCB */
	movq %rsi, %rax               /* VMLOAD, VMRUN and VMSAVE take the VMCB in RAX */

	clgi
	sti
	vmload %rax

	GPR_LOAD
	movq GPR_RDI(%rdi), %rdi

	vmrun %rax                    /* returns at #VMEXIT with RAX = the VMCB again */

	pushq %rdi                    /* the guest's RDI; regs is now at 16(%rsp) */
	movq 16(%rsp), %rdi
	GPR_STORE
	popq GPR_RDI(%rdi)

	vmsave %rax                   /* the guest's FS, GS, TR... into its VMCB */
	popq %rax
	vmload %rax                   /* keel's back */
	cli
	stgi

	popq %rdi
	CALLEE_RESTORE
	ret
