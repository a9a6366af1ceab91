/* A flat real-mode guest: keel loads it at 0000:7c00 like a boot sector. It prints a line on
 * COM1 and exits with status 0 through the debug-exit port. */
	.code16
	.text
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov $msg - _start + 0x7c00, %si
1:	lodsb
	test %al, %al
	jz 2f
	mov $0x3f8, %dx
	out %al, %dx
	jmp 1b
2:	mov $0xf4, %dx
	xor %eax, %eax
	out %eax, %dx
3:	hlt
	jmp 3b
msg:
	.asciz "hello from real mode\n"
