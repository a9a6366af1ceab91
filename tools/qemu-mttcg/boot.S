/* Multiboot v1 entry, long mode with identity-mapped 2 MiB pages (first 4 GiB), AP trampoline,
 * and the VMRUN world switch modelled on keel's svm/svm_entry.S. */
	.section .multiboot, "a"
	.align 4
	.long 0x1badb002, 0, -0x1badb002

	.section .text.start, "ax"
	.code32
	.globl _start
_start:
	cli
	movl $stack0_top, %esp
	movl %ebx, mbi_ptr
	/* PML4[0] -> PDPT; PDPT[0..3] -> PD[0..3]; PD: 2048 x 2 MiB pages */
	movl $pdpt, %eax
	orl $3, %eax
	movl %eax, pml4
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $pd, %eax
	orl $3, %eax
	movl %eax, pdpt(,%ecx,8)
	incl %ecx
	cmpl $4, %ecx
	jb 1b
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	movl %eax, pd(,%ecx,8)
	incl %ecx
	cmpl $2048, %ecx
	jb 2b
	/* fall through; the AP trampoline jumps here too, with its stack pointer in ap_stack */
	.globl enter_long
enter_long:
	lgdt gdtr
	movl %cr4, %eax
	orl $0x20, %eax            /* PAE */
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x900, %eax           /* LME, NXE */
	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax      /* PG, WP, PE */
	movl %eax, %cr0
	ljmp $0x18, $long64

	.code64
long64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorl %eax, %eax
	movw %ax, %fs
	movw %ax, %gs
	lock btsl $0, cpu_count    /* first CPU here is the BSP */
	jc 3f
	movq $stack0_top, %rsp
	movl mbi_ptr, %edi
	call bsp_main
	jmp .
3:	movq ap_stack, %rsp
	call ap_main
	jmp .

/* Real-mode AP trampoline, copied to 0x8000 (SIPI vector 0x08). */
	.code16
	.globl tramp_start, tramp_end
tramp_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl 0x8000 + (tramp_gdtr - tramp_start)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $(0x8000 + (tramp_pm - tramp_start))
	.code32
tramp_pm:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $enter_long, %eax
	jmp *%eax
	.align 4
tramp_gdtr:
	.word gdt_end - gdt - 1
	.long gdt
tramp_end:

	.code64
	.text
/* void world_switch(u64 guest_vmcb [rdi], u64 host_vmcb [rsi], int vmload [edx])
 * As keel: CLGI; STI; VMLOAD guest; VMRUN; VMSAVE guest; VMLOAD host; CLI; STGI. */
	.globl world_switch
world_switch:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rsi
	movl %edx, %ebx
	movq %rdi, %rax
	clgi
	sti
	testl %ebx, %ebx
	jz 1f
	vmload %rax
1:	vmrun %rax
	.globl after_vmrun
after_vmrun:
	testl %ebx, %ebx
	jz 2f
	vmsave %rax
	popq %rax
	vmload %rax
	jmp 3f
2:	popq %rax
3:	cli
	stgi
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

/* The guest: VMMCALL forever (the host skips the 3-byte instruction). */
	.globl guest_code
guest_code:
	vmmcall
	jmp guest_code

	.section .rodata
	.align 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff   /* 0x08 32-bit code */
	.quad 0x00cf92000000ffff   /* 0x10 data */
	.quad 0x00af9a000000ffff   /* 0x18 64-bit code */
gdt_end:
gdtr:
	.word gdt_end - gdt - 1
	.long gdt

	.bss
	.align 4096
	.globl pml4
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096
	.skip 16384
stack0_top:
	.globl mbi_ptr, ap_stack, cpu_count
mbi_ptr:	.quad 0
ap_stack:	.quad 0
cpu_count:	.quad 0
