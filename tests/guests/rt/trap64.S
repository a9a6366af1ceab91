/* void trap_stub_N(void), N = 0..31: the 64-bit IDT entries (SDM 6.14). Each pushes a zero
 * where the CPU pushes no error code, then its vector, and joins trap_common, which saves the
 * registers the C ABI lets trap_handler(struct trap_frame *) clobber and returns with iretq.
 * The CPU aligned RSP to 16 and pushed 5 words; with error, vector and 9 registers the call
 * is made on a 16-byte aligned stack. */
	.text
	.macro stub n
	.balign 16
trap_stub_\n:
	.if !(\n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30)
	push $0
	.endif
	push $\n
	jmp trap_common
	.endm

	.irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stub \n
	.endr

trap_common:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	lea 72(%rsp), %rdi	/* struct trap_frame: vector, error, rip, cs, rflags */
	cld
	call trap_handler
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp		/* vector and error code */
	iretq

	.section .rodata
	.balign 8
	.globl trap_stubs
trap_stubs:
	.irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad trap_stub_\n
	.endr
	.section .note.GNU-stack, "", @progbits
