/* What the loader told keel, parsed out of multiboot v1 or v2 into one plain struct. */
#ifndef KEEL_BOOTINFO_H
#define KEEL_BOOTINFO_H

#include "lib/types.h"
#include "lib/range.h"

#define BOOT_MAX_MEM	  128
#define BOOT_MAX_MODULES  1024
#define BOOT_MAX_RESERVED 64
#define BOOT_CMDLINE_MAX  1024
#define BOOT_MODSTR_MAX	  512

/* Memory types, as multiboot (and the BIOS e820 call) number them. */
enum { MEM_USABLE = 1, MEM_RESERVED = 2, MEM_ACPI = 3, MEM_NVS = 4, MEM_BAD = 5 };

struct boot_mem {
	u64 base, len;
	u32 type;
};

/* A module and its string. The string stays in the loader's memory (reserved, and NUL-ended
 * within BOOT_MODSTR_MAX bytes by the parser), so the module count is bounded by memory, not
 * by a table of copies. */
struct boot_module {
	u64 start, end; /* [start, end) physical */
	char *str;
};

struct boot_range {
	u64 start, end;
};

struct boot_info {
	int proto; /* 0: unknown loader, 1: multiboot v1, 2: multiboot2 */
	bool has_cmdline;
	char cmdline[BOOT_CMDLINE_MAX];
	char loader[64];
	bool has_meminfo;
	u32 mem_lower_kib, mem_upper_kib;
	int nmem;
	bool mem_from_efi;
	struct boot_mem mem[BOOT_MAX_MEM];
	int nmods;
	struct boot_module mods[BOOT_MAX_MODULES];
	u32 rsdp_len; /* multiboot2 hands over a copy of the RSDP itself */
	u8 rsdp[36];
	bool efi_boot_services; /* the loader left EFI boot services running */
	/* memory the loader's structures occupy, in whole pages, merged */
	struct rangeset reserved;
	struct range reserved_buf[BOOT_MAX_RESERVED];
	int errors; /* malformed pieces that were skipped */
};

/* Parse the loader's structures at physical address info into bi. Malformed parts are logged
 * and skipped; bi is always left consistent. */
void bootinfo_parse(u32 magic, u64 info, struct boot_info *bi);

/* Rewrite a command line GRUB built (quoted arguments, backslash escapes) in keel's syntax. */
void bootinfo_from_grub(char *s);

/* Where physical address 0 is in keel's address space: 0 in keel (identity), a buffer in tests. */
extern uintptr_t bootinfo_phys_base;

#endif
