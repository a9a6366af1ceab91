/* Multiboot v1 and v2 constants, for the headers (assembly) and the parser (C). */
#ifndef KEEL_MULTIBOOT_H
#define KEEL_MULTIBOOT_H

#define MB1_HEADER_MAGIC     0x1BADB002
#define MB1_BOOTLOADER_MAGIC 0x2BADB002
/* Page-aligned modules (bit 0), memory info (bit 1), a.out kludge addresses (bit 16). */
#define MB1_FLAGS 0x00010003

#define MB2_HEADER_MAGIC     0xE85250D6
#define MB2_BOOTLOADER_MAGIC 0x36D76289
#define MB2_ARCH_I386	     0

#ifndef __ASSEMBLER__
#include "lib/types.h"

/* Multiboot v1 information structure (spec 3.3); offsets in comments. */
struct mb1_info {
	u32 flags;	      /* 0 */
	u32 mem_lower;	      /* 4: KiB below 1 MiB, if flags bit 0 */
	u32 mem_upper;	      /* 8: KiB above 1 MiB, if flags bit 0 */
	u32 boot_device;      /* 12 */
	u32 cmdline;	      /* 16: if flags bit 2 */
	u32 mods_count;	      /* 20: if flags bit 3 */
	u32 mods_addr;	      /* 24 */
	u32 syms[4];	      /* 28 */
	u32 mmap_length;      /* 44: if flags bit 6 */
	u32 mmap_addr;	      /* 48 */
	u32 drives_length;    /* 52 */
	u32 drives_addr;      /* 56 */
	u32 config_table;     /* 60 */
	u32 boot_loader_name; /* 64: if flags bit 9 */
} __packed;
_Static_assert(sizeof(struct mb1_info) == 68, "mb1_info layout");

#define MB1_INFO_MEMORY	 (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS	 (1u << 3)
#define MB1_INFO_MMAP	 (1u << 6)
#define MB1_INFO_LOADER	 (1u << 9)

struct mb1_module {
	u32 mod_start; /* 0 */
	u32 mod_end;   /* 4: first byte past the module */
	u32 string;    /* 8 */
	u32 reserved;  /* 12 */
} __packed;

/* A v1 memory-map entry; `size` counts the bytes after itself (usually 20). */
struct mb1_mmap_entry {
	u32 size; /* 0 */
	u64 addr; /* 4 */
	u64 len;  /* 12 */
	u32 type; /* 20 */
} __packed;

/* multiboot2: fixed header then 8-byte-aligned tags (spec 3.6). */
struct mb2_tag {
	u32 type;
	u32 size;
} __packed;

enum {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_MEMINFO = 4,
	MB2_TAG_MMAP = 6,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
	MB2_TAG_EFI_MMAP = 17,
	MB2_TAG_EFI_BS = 18,
	MB2_TAG_LOAD_BASE = 21,
};

/* EFI memory types (UEFI spec 7.2) that are free once boot services have ended. */
#define EFI_LOADER_CODE		1
#define EFI_LOADER_DATA		2
#define EFI_BOOT_SERVICES_CODE	3
#define EFI_BOOT_SERVICES_DATA	4
#define EFI_CONVENTIONAL_MEMORY 7
#define EFI_ACPI_RECLAIM	9
#endif

#endif
