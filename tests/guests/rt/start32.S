/* Multiboot v1 guest entry: 32-bit protected mode, paging off, EBX = multiboot information. */
	.section .multiboot, "a"
	.balign 4
	.long 0x1BADB002
	.long 0x00000003
	.long -(0x1BADB002 + 0x00000003)

	.section .text.start, "ax"
	.globl _start
_start:
	cli
	mov $stack_top, %esp
	mov %ebx, boot_mbi
	call guest_main
	push %eax
	call exit

	.bss
	.balign 16
	.skip 65536
stack_top:
