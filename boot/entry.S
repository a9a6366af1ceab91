/* void _start32(u32 magic [eax], u32 info [ebx]) -- never returns.
 *
 * Entered by a multiboot loader in 32-bit protected mode, paging off, interrupts off, with no
 * valid stack. Checks for long mode, zeroes .bss, identity-maps the first 4 GiB with 2 MiB pages
 * (enough to reach the image, the multiboot info, the modules and the ACPI tables), enables
 * long mode and calls kernel_main(magic, info). kernel_main builds keel's real page tables.
 * SDM vol. 3 9.8.5 (initializing IA-32e mode). */
#include "boot/multiboot.h"

#define CR0_PG  0x80000000
#define CR0_WP  0x00010000
#define CR0_PE  0x00000001
#define CR4_PAE 0x00000020
#define EFER    0xC0000080
#define EFER_LME 0x00000100
#define EFER_NXE 0x00000800

	.section .text.boot, "ax"
	.code32
	.globl _start32
_start32:
	cli
	cld
	movl %eax, %ebp               /* keep magic and info through the .bss clear */
	movl %ebx, %esi
	movl $boot_stack_top, %esp

	/* Long mode? CPUID 0x80000001 EDX bit 29. Without it, say so on COM1 and stop. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_long_mode
	movl %edx, %ebx               /* bit 20: NX, for EFER.NXE below */

	/* Zero .bss: the a.out kludge zeroes it, but not every loader path does. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	/* Boot page tables: PML4[0] -> PDPT, PDPT[0..3] -> four PDs of 2 MiB pages. */
	movl $boot_pdpt, %eax
	orl $0x3, %eax                /* present, writable */
	movl %eax, boot_pml4
	movl $boot_pd, %edi
	xorl %ecx, %ecx
1:	movl %edi, %eax
	orl $0x3, %eax
	movl %eax, boot_pdpt(,%ecx,8)
	addl $4096, %edi
	incl %ecx
	cmpl $4, %ecx
	jb 1b
	xorl %ecx, %ecx               /* 2048 entries of 2 MiB: 4 GiB */
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax               /* present, writable, 2 MiB page */
	movl %eax, boot_pd(,%ecx,8)
	movl %ecx, %eax
	shrl $11, %eax                /* bits 32+ of the address: ecx >> 11 */
	movl %eax, boot_pd+4(,%ecx,8)
	incl %ecx
	cmpl $2048, %ecx
	jb 2b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	btl $20, %ebx
	jnc 3f
	orl $EFER_NXE, %eax
3:	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP | CR0_PE), %eax
	movl %eax, %cr0
	lgdt boot_gdt_ptr
	ljmp $0x08, $start64

no_long_mode:
	movl $msg_no_lm, %esi
4:	lodsb
	testb %al, %al
	jz 6f
	movb %al, %bl
	movw $0x3fd, %dx              /* COM1 line status: wait for an empty transmitter */
5:	inb %dx, %al
	testb $0x20, %al
	jz 5b
	movw $0x3f8, %dx
	movb %bl, %al
	outb %al, %dx
	jmp 4b
6:	hlt
	jmp 6b

	.code64
start64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movl %ebp, %edi               /* kernel_main(magic, info): zero-extended */
	movl %esi, %esi
	xorl %ebp, %ebp               /* end of the frame-pointer chain for backtraces */
	call kernel_main
7:	cli
	hlt
	jmp 7b

	.section .rodata
msg_no_lm:
	.asciz "keel: this CPU has no 64-bit long mode; keel needs x86-64\r\n"
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00209b0000000000      /* 0x08: 64-bit code (accessed bit preset: the GDT may be read-only) */
	.quad 0x0000930000000000      /* 0x10: data */
boot_gdt_ptr:
	.short boot_gdt_ptr - boot_gdt - 1
	.long boot_gdt

	.section .bss.pagealigned, "aw", @nobits
	.balign 4096
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4 * 4096
	.globl boot_stack_guard, boot_stack_top
boot_stack_guard:	.skip 4096    /* unmapped by keel's page tables: overflow faults */
boot_stack:	.skip 16384
boot_stack_top:
