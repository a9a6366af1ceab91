/* Multiboot v1 and v2 parsing, including the malformed structures a broken loader could hand
 * over. The "physical memory" is a buffer: bootinfo_phys_base points at it. */
#include "tests/unit/fakes.h"
#include "boot/multiboot.h"
#include "kernel/bootinfo.h"

#include <stdlib.h>
#include <string.h>

#define MEMSZ (64 * 1024)
static u8 *mem;
static struct boot_info bi;

static int setup(void **state)
{
	(void)state;
	mem = calloc(1, MEMSZ);
	bootinfo_phys_base = (uintptr_t)mem;
	log_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(mem);
	return 0;
}

static void put_str(u32 at, const char *s)
{
	strcpy((char *)mem + at, s);
}

/* A multiboot v1 info at 0x1000 with a two-entry map at 0x2000 and one module. */
static struct mb1_info *mb1_basic(void)
{
	struct mb1_info *mi = (struct mb1_info *)(mem + 0x1000);
	mi->flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MMAP | MB1_INFO_MODS |
		    MB1_INFO_LOADER;
	mi->mem_lower = 639;
	mi->mem_upper = 130048;
	mi->cmdline = 0x3000;
	put_str(0x3000, "/boot/keel.elf loglevel=7");
	mi->boot_loader_name = 0x3100;
	put_str(0x3100, "qemu");
	struct mb1_mmap_entry *e = (struct mb1_mmap_entry *)(mem + 0x2000);
	e[0] = (struct mb1_mmap_entry){20, 0, 0x9fc00, 1};
	e[1] = (struct mb1_mmap_entry){20, 0x100000, 0x7f00000, 1};
	mi->mmap_addr = 0x2000;
	mi->mmap_length = 2 * sizeof(*e);
	struct mb1_module *m = (struct mb1_module *)(mem + 0x4000);
	m[0] = (struct mb1_module){0x200000, 0x201000, 0x3200, 0};
	put_str(0x3200, "guest.elf vm=a");
	mi->mods_addr = 0x4000;
	mi->mods_count = 1;
	return mi;
}

static void test_mb1(void **state)
{
	(void)state;
	mb1_basic();
	bootinfo_parse(MB1_BOOTLOADER_MAGIC, 0x1000, &bi);
	assert_int_equal(bi.proto, 1);
	assert_string_equal(bi.cmdline, "/boot/keel.elf loglevel=7");
	assert_string_equal(bi.loader, "qemu");
	assert_int_equal(bi.nmem, 2);
	assert_int_equal(bi.mem[1].base, 0x100000);
	assert_int_equal(bi.nmods, 1);
	assert_string_equal(bi.mods[0].str, "guest.elf vm=a");
	assert_int_equal(bi.mods[0].end - bi.mods[0].start, 0x1000);
	assert_int_equal(bi.errors, 0);
	assert_true(bi.reserved.n >= 1); /* info, strings, module list, map: merged pages */
}

static void test_mb1_bad_mmap_entry(void **state)
{
	(void)state;
	mb1_basic();
	struct mb1_mmap_entry *e = (struct mb1_mmap_entry *)(mem + 0x2000);
	e[1].size = 3; /* corrupt: smaller than an entry */
	bootinfo_parse(MB1_BOOTLOADER_MAGIC, 0x1000, &bi);
	assert_int_equal(bi.nmem, 1);
	assert_int_equal(bi.errors, 1);
	assert_true(log_contains("bad size"));
}

static void test_mb1_bad_pointers(void **state)
{
	(void)state;
	struct mb1_info *mi = mb1_basic();
	mi->mods_count = 0x40000000; /* a module list that would wrap past 4 GiB */
	mi->mmap_length = 0xffffff00;
	bootinfo_parse(MB1_BOOTLOADER_MAGIC, 0x1000, &bi);
	assert_int_equal(bi.nmods, 0);
	assert_int_equal(bi.nmem, 0);
	assert_int_equal(bi.errors, 2);
	bootinfo_parse(MB1_BOOTLOADER_MAGIC, 0, &bi); /* NULL info */
	assert_int_equal(bi.proto, 0);
	assert_true(log_contains("info pointer"));
}

static void test_unknown_magic(void **state)
{
	(void)state;
	bootinfo_parse(0x12345678, 0x1000, &bi);
	assert_int_equal(bi.proto, 0);
	assert_int_equal(bi.nmem, 0);
	assert_true(log_contains("unknown loader magic"));
}

/* Append a multiboot2 tag at *off; returns a pointer to its payload. */
static u8 *tag(u32 *off, u32 type, u32 size)
{
	u8 *t = mem + 0x1000 + *off;
	((u32 *)t)[0] = type;
	((u32 *)t)[1] = size;
	*off += (size + 7) & ~7u;
	return t + 8;
}

static u32 mb2_basic(bool with_end)
{
	u32 off = 8;
	strcpy((char *)tag(&off, MB2_TAG_CMDLINE, 8 + 12), "loglevel=7 ");
	strcpy((char *)tag(&off, MB2_TAG_LOADER, 8 + 9), "GRUB 2.x");
	u8 *m = tag(&off, MB2_TAG_MODULE, 16 + 32);
	((u32 *)m)[0] = 0x300000;
	((u32 *)m)[1] = 0x380000;
	strcpy((char *)m + 8, "/g.elf cmdline=\\\"a b\\\"");
	u8 *mm = tag(&off, MB2_TAG_MMAP, 16 + 2 * 24);
	((u32 *)mm)[0] = 24;
	((u32 *)mm)[1] = 0;
	u64 *e = (u64 *)(mm + 8);
	e[0] = 0x0;
	e[1] = 0x9fc00;
	e[2] = 1;
	e[3] = 0x100000;
	e[4] = 0x100000;
	e[5] = 2;
	u8 *acpi = tag(&off, MB2_TAG_ACPI_OLD, 8 + 20);
	memcpy(acpi, "RSD PTR ", 8);
	if (with_end)
		tag(&off, MB2_TAG_END, 8);
	((u32 *)(mem + 0x1000))[0] = off;
	return off;
}

static void test_mb2(void **state)
{
	(void)state;
	mb2_basic(true);
	bootinfo_parse(MB2_BOOTLOADER_MAGIC, 0x1000, &bi);
	assert_int_equal(bi.proto, 2);
	assert_string_equal(bi.cmdline, "loglevel=7 ");
	assert_int_equal(bi.nmods, 1);
	/* GRUB escapes quotes in module strings; keel undoes it. */
	assert_string_equal(bi.mods[0].str, "/g.elf cmdline=\"a b\"");
	assert_int_equal(bi.nmem, 2);
	assert_int_equal(bi.mem[1].type, 2);
	assert_int_equal(bi.rsdp_len, 20);
	assert_int_equal(bi.errors, 0);
}

static void test_mb2_malformed(void **state)
{
	(void)state;
	u32 total = mb2_basic(false);
	bootinfo_parse(MB2_BOOTLOADER_MAGIC, 0x1000, &bi);
	assert_true(log_contains("no end tag"));
	assert_int_equal(bi.nmods, 1);

	/* A tag whose size runs past the total: parsing stops there, earlier tags survive. */
	log_reset();
	mb2_basic(true);
	((u32 *)(mem + 0x1000 + 8))[1] = 0x100000;
	bootinfo_parse(MB2_BOOTLOADER_MAGIC, 0x1000, &bi);
	assert_true(log_contains("bad size"));
	assert_int_equal(bi.nmods, 0);

	/* Zero-size tag (would loop forever if trusted). */
	log_reset();
	mb2_basic(true);
	((u32 *)(mem + 0x1000 + 8))[1] = 0;
	bootinfo_parse(MB2_BOOTLOADER_MAGIC, 0x1000, &bi);
	assert_true(log_contains("bad size"));

	/* Absurd total size, misaligned info. */
	((u32 *)(mem + 0x1000))[0] = 0xfffffff0;
	bootinfo_parse(MB2_BOOTLOADER_MAGIC, 0x1000, &bi);
	assert_int_equal(bi.proto, 0);
	bootinfo_parse(MB2_BOOTLOADER_MAGIC, 0x1004, &bi);
	assert_int_equal(bi.proto, 0);
	(void)total;
}

static void test_mb2_bad_mmap_entry_size(void **state)
{
	(void)state;
	u32 off = 8;
	u8 *mm = tag(&off, MB2_TAG_MMAP, 16 + 24);
	// cppcheck-suppress unreadVariable
	((u32 *)mm)[0] = 4; /* entry size too small */
	tag(&off, MB2_TAG_END, 8);
	((u32 *)(mem + 0x1000))[0] = off;
	bootinfo_parse(MB2_BOOTLOADER_MAGIC, 0x1000, &bi);
	assert_int_equal(bi.nmem, 0);
	assert_true(log_contains("entry size 4 is invalid"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mb1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb1_bad_mmap_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb1_bad_pointers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb2_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb2_bad_mmap_entry_size, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
