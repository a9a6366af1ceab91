/* uintptr_t user_enter(void (*fn)(void), void *sp): iret to fn at CPL 3 (CS 0x2b, SS 0x23)
 * on stack sp, interrupts off, after saving the callee-saved registers and ESP.
 * void user_return(void): the INT 0x80 gate (DPL 3). The CPU switched to the TSS's SS0:ESP0;
 * with the data segments reloaded and the saved stack back, user_enter returns the user's EAX. */
	.text
	.globl user_enter, user_return
user_enter:
	mov 4(%esp), %eax	/* fn */
	mov 8(%esp), %edx	/* sp */
	push %ebx
	push %ebp
	push %esi
	push %edi
	mov %esp, user_kernel_sp
	pushl $0x23		/* SS */
	push %edx		/* ESP */
	pushl $0x2		/* EFLAGS: IF clear */
	pushl $0x2b		/* CS */
	push %eax		/* EIP */
	iret

user_return:
	mov $0x10, %ecx
	mov %ecx, %ds
	mov %ecx, %es
	mov %ecx, %ss
	mov user_kernel_sp, %esp
	pop %edi
	pop %esi
	pop %ebp
	pop %ebx
	ret

	.bss
	.balign 4
user_kernel_sp:
	.long 0
	.section .note.GNU-stack, "", @progbits
