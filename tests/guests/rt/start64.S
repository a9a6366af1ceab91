/* ELF64 guest entry: keel enters in long mode with RBX = multiboot information. */
	.section .text.start, "ax"
	.globl _start
_start:
	cli
	lea stack_top(%rip), %rsp
	mov %rbx, boot_mbi(%rip)
	call guest_main
	mov %eax, %edi
	call exit

	.bss
	.balign 16
	.skip 65536
stack_top:
