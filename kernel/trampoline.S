/* The application-processor trampoline: copied to a free page below 1 MiB (the SIPI vector
 * page) and entered in real mode at offset 0 of it. It loads its own GDT, enters protected
 * mode, then long mode on keel's page tables, and jumps to ap_entry(cpu) on the stack the boot
 * CPU gave it. The parameters block at its end is filled by kernel/smp.c before each start.
 * SDM vol. 3 8.4.4 (MP initialization) and 9.8.5 (entering IA-32e mode).
 *
 * The code runs at an address only known at run time: it finds its base from CS (real mode)
 * and keeps it in EBP. */
#include "kernel/trampoline.h"

	.section .rodata
	.balign 16
	.globl trampoline_start, trampoline_end
trampoline_start:
	.code16
	cli
	cld
	xorl %ebp, %ebp
	movw %cs, %bp
	shll $4, %ebp                       /* EBP = the trampoline's physical base */
	movw %cs, %ax
	movw %ax, %ds
	lgdtl TRAMP_GDTR
	movl %cr0, %eax
	orl $1, %eax                        /* PE */
	movl %eax, %cr0
	ljmpl *TRAMP_PM_PTR                 /* far pointer: base + pm32, selector 0x18 */

	.code32
pm32 = . - trampoline_start
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $0x620, %eax                    /* PAE, OSFXSR, OSXMMEXCPT */
	movl %eax, %cr4
	movl TRAMP_CR3(%ebp), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx              /* EFER: LME and, as on the boot CPU, NXE */
	rdmsr
	orl TRAMP_EFER(%ebp), %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010022, %eax               /* PG, WP, NE, MP */
	andl $~0x6000000c, %eax             /* CD, NW, TS, EM off */
	movl %eax, %cr0
	ljmpl *TRAMP_LM_PTR(%ebp)           /* base + lm64, selector 0x08 */

	.code64
lm64 = . - trampoline_start
	movl %ebp, %ebp
	movq TRAMP_STACK(%rbp), %rsp
	movl TRAMP_CPU(%rbp), %edi
	xorl %eax, %eax
	movq TRAMP_ENTRY(%rbp), %rax
	xorl %ebp, %ebp                     /* end of the frame-pointer chain */
	jmp *%rax

	.balign 8
trampoline_end:

	.globl trampoline_pm32, trampoline_lm64
trampoline_pm32 = pm32
trampoline_lm64 = lm64
