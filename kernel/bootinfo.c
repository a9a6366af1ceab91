/* Multiboot v1 and v2 parsing. Pure C: every pointer the loader gave is bounds-checked, so a
 * truncated or corrupt structure produces log lines, never a wild read past what it claims. */
#include "kernel/bootinfo.h"
#include "boot/multiboot.h"
#include "lib/string.h"
#include "kernel/log.h"

uintptr_t bootinfo_phys_base;

/* Loader structures live below 4 GiB (multiboot addresses are 32-bit); refuse anything else. */
#define PHYS_LIMIT (4 * GiB)

static const void *phys(u64 pa)
{
	return (const void *)(bootinfo_phys_base + (uintptr_t)pa);
}

static bool range_ok(u64 pa, u64 len)
{
	return pa != 0 && len < PHYS_LIMIT && pa < PHYS_LIMIT - len;
}

static void reserve(struct boot_info *bi, u64 start, u64 len)
{
	if (!len)
		return;
	rs_add(&bi->reserved, ALIGN_DOWN(start, PAGE_SIZE), ALIGN_UP(start + len, PAGE_SIZE));
	if (bi->reserved.overflow && !bi->errors++)
		log_err("boot: too many scattered loader structures to track; some may be "
			"overwritten");
}

static char empty[1];

/* A string in loader memory, NUL-ended within max bytes (truncated in place if not). */
static char *loader_str(struct boot_info *bi, u64 pa, size_t max, const char *what)
{
	if (!range_ok(pa, 1)) {
		log_err("boot: %s at %#llx is outside low memory; ignored", what, pa);
		bi->errors++;
		return empty;
	}
	char *s = (char *)phys(pa);
	size_t n = 0;
	while (n < max - 1 && pa + n < PHYS_LIMIT - 1 && s[n])
		n++;
	if (s[n]) {
		log_warn("boot: %s longer than %zu bytes; truncated", what, max - 1);
		s[n] = '\0';
	}
	reserve(bi, pa, n + 1);
	return s;
}

/* Copy a NUL-terminated loader string of at most max-1 bytes; false if it is not readable. */
static bool copy_str(struct boot_info *bi, u64 pa, char *dst, size_t max, const char *what)
{
	dst[0] = '\0';
	if (!range_ok(pa, 1)) {
		log_err("boot: %s at %#llx is outside low memory; ignored", what, pa);
		bi->errors++;
		return false;
	}
	const char *s = phys(pa);
	size_t n = 0;
	while (n < max - 1 && pa + n < PHYS_LIMIT && s[n])
		n++;
	memcpy(dst, s, n);
	dst[n] = '\0';
	if (n == max - 1 && s[n] != '\0')
		log_warn("boot: %s longer than %zu bytes; truncated", what, max - 1);
	reserve(bi, pa, n + 1);
	return true;
}

static void add_mem(struct boot_info *bi, u64 base, u64 len, u32 type)
{
	if (bi->nmem == BOOT_MAX_MEM) {
		log_warn("boot: memory map has more than %d entries; the rest ignored",
			 BOOT_MAX_MEM);
		bi->errors++;
		return;
	}
	bi->mem[bi->nmem++] = (struct boot_mem){base, len, type};
}

/* Record a module; returns it so the caller can fill its string, or NULL if refused. */
static struct boot_module *add_module(struct boot_info *bi, u64 start, u64 end)
{
	if (bi->nmods == BOOT_MAX_MODULES) {
		log_err("boot: more than %d modules; the rest ignored", BOOT_MAX_MODULES);
		bi->errors++;
		return NULL;
	}
	if (end == start) {
		start = end = 0; /* an empty module (GRUB reports 0-0): the VM code says so */
	} else if (end < start || !range_ok(start, end - start)) {
		log_err("boot: module %d has a bad range %#llx-%#llx; ignored", bi->nmods, start,
			end);
		bi->errors++;
		return NULL;
	}
	struct boot_module *m = &bi->mods[bi->nmods++];
	m->start = start;
	m->end = end;
	m->str = empty;
	return m;
}

static void parse_mb1(u64 info, struct boot_info *bi)
{
	if (!range_ok(info, sizeof(struct mb1_info))) {
		log_err("boot: multiboot info pointer %#llx is invalid", info);
		bi->errors++;
		return;
	}
	const struct mb1_info *mi = phys(info);
	reserve(bi, info, sizeof(*mi));
	bi->proto = 1;

	if (mi->flags & MB1_INFO_MEMORY) {
		bi->has_meminfo = true;
		bi->mem_lower_kib = mi->mem_lower;
		bi->mem_upper_kib = mi->mem_upper;
	}
	if (mi->flags & MB1_INFO_CMDLINE)
		bi->has_cmdline =
			copy_str(bi, mi->cmdline, bi->cmdline, sizeof(bi->cmdline), "command line");
	if (mi->flags & MB1_INFO_LOADER)
		copy_str(bi, mi->boot_loader_name, bi->loader, sizeof(bi->loader), "loader name");
	if (mi->flags & MB1_INFO_MODS && mi->mods_count) {
		u64 bytes = (u64)mi->mods_count * sizeof(struct mb1_module);
		if (!range_ok(mi->mods_addr, bytes)) {
			log_err("boot: module list at %#x (%u entries) is invalid", mi->mods_addr,
				mi->mods_count);
			bi->errors++;
		} else {
			const struct mb1_module *mods = phys(mi->mods_addr);
			reserve(bi, mi->mods_addr, bytes);
			for (u32 i = 0; i < mi->mods_count; i++) {
				struct boot_module *m =
					add_module(bi, mods[i].mod_start, mods[i].mod_end);
				if (m && mods[i].string)
					m->str = loader_str(bi, mods[i].string, BOOT_MODSTR_MAX,
							    "module string");
			}
		}
	}
	if (mi->flags & MB1_INFO_MMAP) {
		if (!range_ok(mi->mmap_addr, mi->mmap_length)) {
			log_err("boot: memory map at %#x (+%u) is invalid", mi->mmap_addr,
				mi->mmap_length);
			bi->errors++;
			return;
		}
		reserve(bi, mi->mmap_addr, mi->mmap_length);
		u64 off = 0;
		while (off + 4 <= mi->mmap_length) {
			const struct mb1_mmap_entry *e = phys(mi->mmap_addr + off);
			if (e->size < 20 || off + 4 + e->size > mi->mmap_length) {
				log_err("boot: memory map entry at +%llu has bad size %u; map cut "
					"short",
					off, e->size);
				bi->errors++;
				break;
			}
			add_mem(bi, e->addr, e->len, e->type);
			off += 4 + (u64)e->size;
		}
	}
}

static void parse_mb2_mmap(struct boot_info *bi, const u8 *t, u32 size)
{
	if (size < 16) {
		log_err("boot: multiboot2 memory-map tag too short");
		bi->errors++;
		return;
	}
	u32 esize = *(const u32 *)(t + 8);
	if (esize < 24 || esize > 4096) {
		log_err("boot: multiboot2 memory-map entry size %u is invalid", esize);
		bi->errors++;
		return;
	}
	for (u32 off = 16; off + esize <= size; off += esize) {
		const u8 *e = t + off;
		add_mem(bi, *(const u64 *)e, *(const u64 *)(e + 8), *(const u32 *)(e + 16));
	}
}

/* EFI memory descriptors (UEFI spec 7.2): type at 0, physical start at 8, pages at 24. */
static void parse_mb2_efi_mmap(struct boot_info *bi, const u8 *t, u32 size)
{
	if (size < 16) {
		log_err("boot: EFI memory-map tag too short");
		bi->errors++;
		return;
	}
	u32 dsize = *(const u32 *)(t + 8);
	if (dsize < 40 || dsize > 4096) {
		log_err("boot: EFI memory descriptor size %u is invalid", dsize);
		bi->errors++;
		return;
	}
	bi->nmem = 0; /* the EFI map is the more precise one: it replaces the converted map */
	bi->mem_from_efi = true;
	for (u32 off = 16; off + dsize <= size; off += dsize) {
		const u8 *d = t + off;
		u32 type = *(const u32 *)d;
		u64 start = *(const u64 *)(d + 8), pages = *(const u64 *)(d + 24);
		if (pages > (UINT64_MAX >> PAGE_SHIFT))
			continue;
		u32 mt = MEM_RESERVED;
		/* Free after ExitBootServices: conventional memory, boot services, and the
		 * loader's own (GRUB is gone; the pieces keel needs are reserved by address). */
		if (type == EFI_CONVENTIONAL_MEMORY || type == EFI_BOOT_SERVICES_CODE ||
		    type == EFI_BOOT_SERVICES_DATA || type == EFI_LOADER_CODE ||
		    type == EFI_LOADER_DATA)
			mt = MEM_USABLE;
		else if (type == EFI_ACPI_RECLAIM)
			mt = MEM_ACPI;
		add_mem(bi, start, pages << PAGE_SHIFT, mt);
	}
}

static void parse_mb2(u64 info, struct boot_info *bi)
{
	if (!range_ok(info, 8) || info % 8) {
		log_err("boot: multiboot2 info pointer %#llx is invalid", info);
		bi->errors++;
		return;
	}
	u32 total = *(const u32 *)phys(info);
	if (total < 16 || total > 1 * MiB || !range_ok(info, total)) {
		log_err("boot: multiboot2 info size %u is invalid", total);
		bi->errors++;
		return;
	}
	bi->proto = 2;
	reserve(bi, info, total);
	bool efi_map = false;
	bool ended = false;

	for (u32 off = 8; off + 8 <= total;) {
		const u8 *t = phys(info + off);
		u32 type = ((const struct mb2_tag *)t)->type;
		u32 size = ((const struct mb2_tag *)t)->size;
		if (size < 8 || size > total - off) {
			log_err("boot: multiboot2 tag %u at +%u has bad size %u; rest ignored",
				type, off, size);
			bi->errors++;
			return;
		}
		switch (type) {
		case MB2_TAG_END: ended = true; break;
		case MB2_TAG_CMDLINE:
		case MB2_TAG_LOADER: {
			char *dst = type == MB2_TAG_CMDLINE ? bi->cmdline : bi->loader;
			size_t max =
				type == MB2_TAG_CMDLINE ? sizeof(bi->cmdline) : sizeof(bi->loader);
			size_t n = MIN((size_t)size - 8, max - 1);
			memcpy(dst, t + 8, n);
			dst[n] = '\0';
			if (type == MB2_TAG_CMDLINE)
				bi->has_cmdline = true;
			break;
		}
		case MB2_TAG_MODULE: {
			if (size < 16) {
				log_err("boot: multiboot2 module tag too short");
				bi->errors++;
				break;
			}
			struct boot_module *m =
				add_module(bi, *(const u32 *)(t + 8), *(const u32 *)(t + 12));
			if (m) {
				/* The string is in the tag (reserved with the info): end it there.
				 */
				char *str = (char *)(t + 16);
				size_t n =
					strnlen(str, MIN((size_t)size - 16, BOOT_MODSTR_MAX - 1));
				str[n] = '\0';
				m->str = str;
			}
			break;
		}
		case MB2_TAG_MEMINFO:
			if (size >= 16) {
				bi->has_meminfo = true;
				bi->mem_lower_kib = *(const u32 *)(t + 8);
				bi->mem_upper_kib = *(const u32 *)(t + 12);
			}
			break;
		case MB2_TAG_MMAP:
			if (!efi_map)
				parse_mb2_mmap(bi, t, size);
			break;
		case MB2_TAG_EFI_MMAP:
			parse_mb2_efi_mmap(bi, t, size);
			efi_map = bi->mem_from_efi;
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			/* Prefer the ACPI 2.0 copy (tag 15) when both are given. */
			if (size > 8 && (type == MB2_TAG_ACPI_NEW || bi->rsdp_len == 0)) {
				bi->rsdp_len = (u32)MIN((size_t)size - 8, sizeof(bi->rsdp));
				memcpy(bi->rsdp, t + 8, bi->rsdp_len);
			}
			break;
		case MB2_TAG_EFI_BS: bi->efi_boot_services = true; break;
		default: break; /* tags keel does not need */
		}
		if (ended)
			break;
		off += (size + 7) & ~7u;
	}
	if (!ended) {
		log_warn("boot: multiboot2 info has no end tag");
		bi->errors++;
	}
}

/* GRUB builds command lines from its arguments (grub_create_loader_cmdline): an argument with
 * a space is wrapped in double quotes, and \\, \" and \' are escaped. Turn that back into keel's
 * own syntax, where only a value is quoted: "cmdline=a b" becomes cmdline="a b". The result is
 * never longer than the input. */
void bootinfo_from_grub(char *s)
{
	char out[BOOT_CMDLINE_MAX];
	size_t o = 0;
	const char *p = s;
	while (*p && o + 4 < sizeof(out)) {
		if (*p != '"') {
			if (p[0] == '\\' && (p[1] == '\\' || p[1] == '"' || p[1] == '\''))
				p++;
			out[o++] = *p++;
			continue;
		}
		/* A quoted argument: unescape it, then quote only what follows its '='. */
		char arg[BOOT_CMDLINE_MAX];
		size_t n = 0;
		for (p++; *p && *p != '"' && n + 1 < sizeof(arg); p++) {
			if (p[0] == '\\' && (p[1] == '\\' || p[1] == '"' || p[1] == '\''))
				p++;
			arg[n++] = *p;
		}
		if (*p == '"')
			p++;
		size_t eq = 0;
		while (eq < n && arg[eq] != '=')
			eq++;
		for (size_t i = 0; i < n && o + 3 < sizeof(out); i++) {
			if (i == eq + 1 && eq < n)
				out[o++] = '"';
			out[o++] = arg[i];
		}
		if (eq < n)
			out[o++] = '"';
		else if (eq == n && n == 0)
			continue;
	}
	out[o] = '\0';
	strlcpy(s, out, BOOT_CMDLINE_MAX);
}

void bootinfo_parse(u32 magic, u64 info, struct boot_info *bi)
{
	memset(bi, 0, sizeof(*bi));
	bi->reserved = (struct rangeset){bi->reserved_buf, 0, BOOT_MAX_RESERVED, false};
	if (magic == MB1_BOOTLOADER_MAGIC)
		parse_mb1(info, bi);
	else if (magic == MB2_BOOTLOADER_MAGIC)
		parse_mb2(info, bi);
	else {
		log_err("boot: unknown loader magic %#x: no multiboot information", magic);
		bi->errors++;
	}
	if (!strncmp(bi->loader, "GRUB", 4)) {
		bootinfo_from_grub(bi->cmdline);
		for (int i = 0; i < bi->nmods; i++)
			bootinfo_from_grub(bi->mods[i].str);
	}
}
