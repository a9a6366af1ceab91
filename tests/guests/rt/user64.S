/* uintptr_t user_enter(void (*fn)(void), void *sp): iretq to fn at CPL 3 (CS 0x2b, SS 0x23)
 * on stack sp, interrupts off, after saving the callee-saved registers and RSP.
 * void user_return(void): the INT 0x80 gate (DPL 3). The CPU switched to the TSS's RSP0 and
 * loaded a null SS; back on the saved stack, user_enter returns the user's RAX. */
	.text
	.globl user_enter, user_return
user_enter:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, user_kernel_sp(%rip)
	pushq $0x23		/* SS */
	push %rsi		/* RSP */
	pushq $0x2		/* RFLAGS: IF clear */
	pushq $0x2b		/* CS */
	push %rdi		/* RIP */
	iretq

user_return:
	mov $0x10, %ecx
	mov %ecx, %ss
	mov user_kernel_sp(%rip), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.bss
	.balign 8
user_kernel_sp:
	.quad 0
	.section .note.GNU-stack, "", @progbits
