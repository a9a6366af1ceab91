/* Multiboot headers: v1 first (QEMU -kernel, GRUB `multiboot`), v2 after it (GRUB `multiboot2`).
 * Both enter _start32 in 32-bit protected mode with paging off; EAX tells them apart.
 * Multiboot v1 spec 3.1; multiboot2 spec 3.1. */
#include "boot/multiboot.h"

	.section .multiboot1, "a"
	.balign 4
mb1_header:
	.long MB1_HEADER_MAGIC
	.long MB1_FLAGS
	.long -(MB1_HEADER_MAGIC + MB1_FLAGS)
	/* The a.out kludge (flags bit 16): load the file image by address. QEMU refuses ELF64
	 * images otherwise; with these fields it copies [load_addr, load_end_addr) from the file
	 * and zeroes up to bss_end_addr. */
	.long mb1_header            /* header_addr */
	.long __image_start         /* load_addr */
	.long __data_end            /* load_end_addr */
	.long __bss_end             /* bss_end_addr */
	.long _start32              /* entry_addr */

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_HEADER_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* Information request: memory map, ACPI RSDP copies, EFI memory map (all optional). */
	.balign 8
mb2_info_req:
	.short 1, 1 /* optional: GRUB still boots if it lacks one */
	.long mb2_info_req_end - mb2_info_req
	.long 6, 14, 15, 17
mb2_info_req_end:
	/* Module alignment: ask for page-aligned modules so they can be reserved by whole pages. */
	.balign 8
	.short 6, 0
	.long 8
	/* End tag. */
	.balign 8
	.short 0, 0
	.long 8
mb2_header_end:
