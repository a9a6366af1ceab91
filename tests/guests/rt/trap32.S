/* void trap_stub_N(void), N = 0..31: the 32-bit IDT entries (SDM 6.12). Each pushes a zero
 * where the CPU pushes no error code, then its vector, and joins trap_common, which saves the
 * general registers, calls trap_handler(struct trap_frame *) and returns with iret. */
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
	pusha
	lea 32(%esp), %eax	/* struct trap_frame: vector, error, eip, cs, eflags */
	push %eax
	cld
	call trap_handler
	add $4, %esp
	popa
	add $8, %esp		/* vector and error code */
	iret

	.section .rodata
	.balign 4
	.globl trap_stubs
trap_stubs:
	.irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long trap_stub_\n
	.endr
	.section .note.GNU-stack, "", @progbits
