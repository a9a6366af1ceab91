/* Events in real mode (SDM 20.1.4, "Interrupt and exception handling in real-address mode"):
 * INT n, #DE and #UD go through the IVT at linear 0, push FLAGS, CS and IP (no error code),
 * IP naming the instruction after INT n and the faulting instruction for a fault. A flat image
 * loaded at 0000:7c00; it prints PASS or FAIL per check, then the tally, and exits with the
 * number of failures through the debug-exit port. */
	.code16
	.text
	.globl _start
#define A(x) ((x) - _start + 0x7c00)
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0x7c00, %sp
	xor %di, %di			/* failures */
	movw $A(isr), 0x61 * 4		/* IVT 0x61, #DE (0), #UD (6): 0000:isr */
	movw $0, 0x61 * 4 + 2
	movw $A(fault_isr), 0
	movw $0, 2
	movw $A(fault_isr), 6 * 4
	movw $0, 6 * 4 + 2

	movw $0, A(seen)
	int $0x61			/* INT n returns after itself */
int_next:
	cmpw $A(int_next), A(seen)
	mov $A(m_int), %si
	call report

	movw $0, A(seen)
	mov $1, %ax
	xor %cl, %cl
de_at:	div %cl				/* #DE: the fault names the DIV */
	cmpw $A(de_at), A(seen)
	mov $A(m_de), %si
	call report

	movw $0, A(seen)
ud_at:	ud2				/* #UD names the UD2 */
	cmpw $A(ud_at), A(seen)
	mov $A(m_ud), %si
	call report

	mov $A(m_tally), %si
	test %di, %di
	jz 1f
	mov $A(m_failed), %si
1:	call puts
	mov $0xf4, %dx
	movzx %di, %eax
	out %eax, %dx
2:	hlt
	jmp 2b

/* INT 0x61: record the return IP. */
isr:
	push %bp
	mov %sp, %bp
	mov 2(%bp), %bp
	mov %bp, A(seen)
	pop %bp
	iret

/* #DE and #UD: record the IP pushed, then return past the 2-byte instruction. */
fault_isr:
	push %bp
	mov %sp, %bp
	push %ax
	mov 2(%bp), %ax
	mov %ax, A(seen)
	addw $2, 2(%bp)
	pop %ax
	pop %bp
	iret

/* ZF set: "PASS: " and the message at SI; else "FAIL: " and count it. */
report:
	push %si
	mov $A(m_pass), %si
	je 1f
	mov $A(m_fail), %si
	inc %di
1:	call puts
	pop %si
	jmp puts

/* Print the NUL-terminated string at SI on COM1. */
puts:
	mov $0x3f8, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	ret

	.balign 2
seen:	.word 0
m_pass:	.asciz "PASS: "
m_fail:	.asciz "FAIL: "
m_int:	.asciz "real mode: int $0x61 through the IVT returns after itself\n"
m_de:	.asciz "real mode: #DE through the IVT names the div\n"
m_ud:	.asciz "real mode: #UD through the IVT names the ud2\n"
m_tally: .asciz "PASSED: 3 checks, 0 failed\n"
m_failed: .asciz "FAILED: real-mode checks\n"
