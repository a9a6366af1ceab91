/* Image detection and loading past plain ELF (loader/image.c): multiboot ELF32/ELF64 images,
 * the a.out kludge, flat binaries, empty and foreign files, and Linux bzImages, over the
 * builders of image_build.h. */
#include "tests/unit/image_build.h"

static void test_mb_elf32(void **state)
{
	(void)state;
	/* A higher-half kernel linked at 0xc0100000, loaded at 1 MiB: physical addresses win,
	 * and the entry is translated with its segment. */
	elf32(0xc0100020, 2);
	seg32(0, PT_LOAD, 0x1000, 0xc0100000, 0x100000, 0x2000, 0x2000);
	seg32(1, PT_LOAD, 0x3000, 0xc0200000, 0x200000, 0x100, 0x5000);
	mb1(0x1000, 0x00000003);
	accepted(0x3100);
	assert_int_equal(img.kind, IMAGE_MULTIBOOT);
	assert_int_equal(img.mb_flags, 3);
	assert_int_equal(img.entry, 0x100020);
	assert_int_equal(img.nsegs, 2);
	assert_seg(0, 0x1000, 0x2000, 0x2000, 0x100000);
	assert_seg(1, 0x3000, 0x100, 0x5000, 0x200000);
	assert_int_equal(img.lo, 0x100000);
	assert_int_equal(img.hi, 0x205000);
	assert_string_equal(image_kind_names[img.kind], "multiboot");
}

static void test_mb_elf32_errors(void **state)
{
	(void)state;
	elf32(0x100000, 1);
	seg32(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x100, 0x100);
	mb1(0x1000, 0);
	accepted(0x1100);
	eh32()->e_entry = 0x100100;
	refused(0x1100, "ELF entry point 0x100100 is in no loadable segment");
	eh32()->e_entry = 0x100000;
	refused(0x10ff, "truncated image: segment 0");
	eh32()->e_machine = EM_X86_64;
	refused(0x1100, "ELF for another machine (not little-endian i386)");
	eh32()->e_machine = EM_386;
	eh32()->e_phentsize = 16;
	refused(0x1100, "truncated or corrupt ELF program headers");
	eh32()->e_phentsize = sizeof(Elf32_Phdr);
	ph32(0)->p_filesz = 0x200;
	refused(0x1300, "more file than memory");
	ph32(0)->p_filesz = 0x100;
	ph32(0)->p_type = PT_NOTE;
	refused(0x1100, "ELF has no loadable segment");
}

static void test_mb_elf32_truncated_header(void **state)
{
	(void)state;
	/* The multiboot header fits, the ELF header does not. */
	memcpy(buf, ELFMAG "\x01\x01\x01", 7);
	mb1(8, 0);
	refused(20, "truncated ELF header (20 bytes)");
	assert_int_equal(img.kind, IMAGE_MULTIBOOT);
}

static void test_mb_elf64(void **state)
{
	(void)state;
	/* ELF class 2 with a multiboot header and no kludge: loaded by physical addresses,
	 * entered in 32-bit mode, so a higher-half link address is fine. */
	elf64(0xffffffff80100040ull, 1);
	seg64(0, PT_LOAD, 0x1000, 0xffffffff80100000ull, 0x100000, 0x1000, 0x4000);
	mb1(0x1000, 0x00000002);
	accepted(0x2000);
	assert_int_equal(img.kind, IMAGE_MULTIBOOT);
	assert_int_equal(img.mb_flags, 2);
	assert_int_equal(img.entry, 0x100040);
	assert_int_equal(img.nsegs, 1);
	assert_seg(0, 0x1000, 0x1000, 0x4000, 0x100000);
	assert_int_equal(img.lo, 0x100000);
	assert_int_equal(img.hi, 0x104000);
}

static void test_mb_flags(void **state)
{
	(void)state;
	elf32(0x100000, 1);
	seg32(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x100, 0x100);
	/* 0 (page-aligned modules), 1 (memory info) and 2 (video mode, declined) are fine;
	 * bits above 16 are optional and ignored. */
	static const u32 good[] = {0, 1, 2, 3, 7, BIT(17), BIT(31) | 3};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		mb1(0x1000, good[i]);
		accepted(0x1100);
		assert_int_equal(img.kind, IMAGE_MULTIBOOT);
		assert_int_equal(img.mb_flags, good[i]);
	}
	mb1(0x1000, BIT(3));
	refused(0x1100, "multiboot header requires features 0x8 keel does not offer");
	assert_int_equal(img.kind, IMAGE_MULTIBOOT);
	mb1(0x1000, BIT(15) | 3);
	refused(0x1100, "requires features 0x8000 keel does not offer");
	mb1(0x1000, 0xffff);
	refused(0x1100, "requires features 0xfff8 keel does not offer");
	mb1(0x1000, BIT(16) | BIT(4));
	refused(0x1100, "requires features 0x10");
}

static void test_mb_header_search(void **state)
{
	(void)state;
	elf32(0x100000, 1);
	seg32(0, PT_LOAD, 0x2000, 0x100000, 0x100000, 0x100, 0x100);
	/* A bad checksum: no header, so a plain ELF32. */
	mb1(0x1000, 3);
	put32(0x1008, 0);
	refused(0x2100, "32-bit ELF without a multiboot header");
	/* Not 4-byte aligned: not a header. */
	memset(buf + 0x1000, 0, 12);
	mb1(0x1002, 3);
	refused(0x2100, "32-bit ELF without a multiboot header");
	/* A header that ends at 8 KiB is found (spec 3.1.1: "contained completely within the
	 * first 8192 bytes")... */
	memset(buf + 0x1002, 0, 12);
	mb1(8192 - 12, 3);
	accepted(0x2100);
	assert_int_equal(img.kind, IMAGE_MULTIBOOT);
	/* ...one that starts before 8 KiB but runs past it is not... */
	memset(buf + 8192 - 12, 0, 12);
	mb1(8192 - 4, 3);
	refused(0x2100, "32-bit ELF without a multiboot header");
	memset(buf + 8192 - 4, 0, 12);
	/* ...and one that starts at 8 KiB is not. */
	mb1(8192, 3);
	refused(0x2100, "32-bit ELF without a multiboot header");
	/* A header cut off by the end of the file is not found. */
	memset(buf, 0, 0x3000);
	buf[0] = 0xeb; /* a flat binary, with a multiboot header at its very end */
	mb1(0x100, 3);
	accepted(0x10b);
	assert_int_equal(img.kind, IMAGE_FLAT);
}

static void test_mb_beyond_8k_is_flat(void **state)
{
	(void)state;
	/* Not an ELF and a header past the first 8 KiB: a flat binary, whatever the header
	 * says. */
	buf[0] = 0xfa; /* cli */
	mb1(0x2000, BIT(16) | 3);
	kludge(0x2000, 0x102000, 0x100000, 0, 0, 0x100000);
	accepted(0x3000);
	assert_int_equal(img.kind, IMAGE_FLAT);
	assert_int_equal(img.entry, FLAT_LOAD);
	/* The same header, all 32 bytes of it just inside the first 8 KiB. */
	mb1(0x1fe0, BIT(16) | 3);
	kludge(0x1fe0, 0x101fe0, 0x100000, 0, 0, 0x100000);
	accepted(0x3000);
	assert_int_equal(img.kind, IMAGE_MULTIBOOT);
}

static void test_mb_neither_elf_nor_aout(void **state)
{
	(void)state;
	buf[0] = 0xfa;
	mb1(0x40, 3);
	refused(0x1000, "multiboot kernel is neither ELF nor has a.out kludge addresses");
	assert_int_equal(img.kind, IMAGE_MULTIBOOT);
	/* An ELF magic with a class that is neither 1 nor 2. */
	memcpy(buf, ELFMAG "\x03\x01", 6);
	refused(0x1000, "neither ELF nor has a.out kludge addresses");
}

static void test_aout(void **state)
{
	(void)state;
	/* Header at 0x40 of a file loaded at 1 MiB from its first byte: text+data to
	 * load_end_addr, bss to bss_end_addr. */
	buf[0] = 0xeb;
	mb1(0x40, BIT(16) | 3);
	kludge(0x40, 0x100040, 0x100000, 0x101800, 0x104000, 0x100080);
	accepted(0x2000);
	assert_int_equal(img.kind, IMAGE_MULTIBOOT);
	assert_int_equal(img.mb_flags, BIT(16) | 3);
	assert_int_equal(img.entry, 0x100080);
	assert_int_equal(img.nsegs, 1);
	assert_seg(0, 0, 0x1800, 0x4000, 0x100000);
	assert_int_equal(img.lo, 0x100000);
	assert_int_equal(img.hi, 0x104000);
	/* load_end_addr 0: the rest of the file; bss_end_addr 0: no bss. */
	kludge(0x40, 0x100040, 0x100000, 0, 0, 0x100080);
	accepted(0x2000);
	assert_seg(0, 0, 0x2000, 0x2000, 0x100000);
	assert_int_equal(img.hi, 0x102000);
	/* bss_end_addr below load_end_addr adds nothing. */
	kludge(0x40, 0x100040, 0x100000, 0x101800, 0x101000, 0x100080);
	accepted(0x2000);
	assert_seg(0, 0, 0x1800, 0x1800, 0x100000);
	/* load_end_addr exactly at the end of the file. */
	kludge(0x40, 0x100040, 0x100000, 0x102000, 0, 0x100080);
	accepted(0x2000);
	assert_seg(0, 0, 0x2000, 0x2000, 0x100000);
}

static void test_aout_loads_from_header(void **state)
{
	(void)state;
	/* A header at 0x1010 whose load_addr is 0x10 bytes before it: loading starts at file
	 * offset 0x1000, skipping what comes before (spec 3.1.3). */
	buf[0] = 0xeb;
	mb1(0x1010, BIT(16));
	kludge(0x1010, 0x200010, 0x200000, 0x200400, 0x300000, 0x200010);
	accepted(0x1800);
	assert_seg(0, 0x1000, 0x400, 0x100000, 0x200000);
	assert_int_equal(img.entry, 0x200010);
	assert_int_equal(img.lo, 0x200000);
	assert_int_equal(img.hi, 0x300000);
	/* header_addr == load_addr: the header is the first byte loaded. */
	kludge(0x1010, 0x200000, 0x200000, 0, 0, 0x200000);
	accepted(0x1800);
	assert_seg(0, 0x1010, 0x7f0, 0x7f0, 0x200000);
}

static void test_aout_in_elf(void **state)
{
	(void)state;
	/* Flags bit 16 wins over the ELF headers, as for keel's own image. */
	elf64(0x100000, 1);
	seg64(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x100, 0x100);
	mb1(0x1000, MB1_FLAGS);
	kludge(0x1000, 0x200000, 0x1ff000, 0x200800, 0x201000, 0x200020);
	accepted(0x1800);
	assert_int_equal(img.kind, IMAGE_MULTIBOOT);
	assert_int_equal(img.mb_flags, MB1_FLAGS);
	assert_int_equal(img.entry, 0x200020);
	assert_int_equal(img.nsegs, 1);
	assert_seg(0, 0, 0x1800, 0x2000, 0x1ff000);
}

static void test_aout_entry_outside(void **state)
{
	(void)state;
	/* The kludge's entry must be inside what it loads, as an ELF's must. */
	buf[0] = 0xfa;
	mb1(0x40, BIT(16) | 3);
	kludge(0x40, 0x100040, 0x100000, 0x101000, 0, 0xdeadbeef);
	refused(0x1000, "entry_addr 0xdeadbeef is outside");
	kludge(0x40, 0x100040, 0x100000, 0x101000, 0x102000, 0x101800); /* in the bss: fine */
	accepted(0x1000);
	assert_int_equal(img.entry, 0x101800);
}

static void test_aout_errors(void **state)
{
	(void)state;
	buf[0] = 0xeb;
	mb1(0x40, BIT(16) | 3);
	/* load_addr above header_addr. */
	kludge(0x40, 0x100040, 0x100041, 0, 0, 0x100080);
	refused(0x2000, "multiboot header addresses do not match its place in the file");
	/* header_addr - load_addr puts the start of the load before the file. */
	kludge(0x40, 0x100040, 0x0fffff, 0, 0, 0x100080);
	refused(0x2000, "multiboot header addresses do not match its place in the file");
	kludge(0x40, 0xffffffff, 0, 0, 0, 0x100080);
	refused(0x2000, "multiboot header addresses do not match its place in the file");
	/* load_end_addr below load_addr. */
	kludge(0x40, 0x100040, 0x100000, 0xfffff, 0, 0x100080);
	refused(0x2000, "multiboot load_end_addr below load_addr");
	/* load_end_addr past the end of the file. */
	kludge(0x40, 0x100040, 0x100000, 0x102001, 0, 0x100080);
	refused(0x2000, "truncated image: the multiboot header wants 8193 bytes from offset 0 of "
			"a 8192-byte file");
	kludge(0x40, 0x100040, 0x100000, 0xffffffff, 0, 0x100080);
	refused(0x2000, "truncated image: the multiboot header wants");
	/* A header whose kludge fields run past the end of the file. */
	memset(buf, 0, 0x3000);
	buf[0] = 0xeb;
	mb1(0x40, BIT(16));
	refused(0x40 + 12, "truncated multiboot header");
	refused(0x40 + 31, "truncated multiboot header");
}

/* ---- flat, foreign and Linux ------------------------------------------------------------- */

static void test_flat(void **state)
{
	(void)state;
	static const u8 boot[] = {0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0xf4}; /* cli; xor ax,ax... */
	memcpy(buf, boot, sizeof(boot));
	accepted(sizeof(boot));
	assert_int_equal(img.kind, IMAGE_FLAT);
	assert_int_equal(img.entry, 0x7c00);
	assert_int_equal(img.nsegs, 1);
	assert_seg(0, 0, sizeof(boot), sizeof(boot), 0x7c00);
	assert_int_equal(img.lo, 0x7c00);
	assert_int_equal(img.hi, 0x7c00 + sizeof(boot));
	assert_string_equal(image_kind_names[img.kind], "flat real-mode");
	/* One byte, even a zero, is a flat image. */
	buf[0] = 0;
	accepted(1);
	assert_int_equal(img.kind, IMAGE_FLAT);
	assert_seg(0, 0, 1, 1, 0x7c00);
	/* Foreign magics must be at the start: later in the file they mean nothing. */
	memcpy(buf + 1, "\x1f\x8bMZ#!", 6);
	accepted(7);
	assert_int_equal(img.kind, IMAGE_FLAT);
}

static void test_flat_size(void **state)
{
	(void)state;
	assert_int_equal(FLAT_MAX, 0x9fc00 - 0x7c00);
	buf[0] = 0xeb;
	accepted(FLAT_MAX);
	assert_int_equal(img.kind, IMAGE_FLAT);
	assert_int_equal(img.hi, 0x9fc00);
	assert_seg(0, 0, FLAT_MAX, FLAT_MAX, 0x7c00);
	refused(FLAT_MAX + 1, "flat image of 622593 bytes does not fit between 0x7c00 and 0x9fc00");
	assert_int_equal(img.kind, IMAGE_FLAT);
	refused(BUFSZ, "does not fit between 0x7c00 and 0x9fc00");
}

static void test_empty(void **state)
{
	(void)state;
	refused(0, "empty image");
	assert_int_equal(img.nsegs, 0);
}

static void test_foreign(void **state)
{
	(void)state;
	static const struct {
		const char *magic;
		size_t n;
		const char *what;
	} foreign[] = {
		{"\x1f\x8b\x08\x00", 4, "gzip data"},
		{"\xfd"
		 "7zXZ\x00",
		 6, "xz data"},
		{"\x28\xb5\x2f\xfd", 4, "zstd data"},
		{"BZh91AY", 7, "bzip2 data"},
		{"PK\x03\x04", 4, "a zip archive"},
		{"MZ\x90\x00", 4, "a PE/EFI executable"},
		{"#!/bin/sh\n", 10, "a script"},
		{"%PDF-1.7", 8, "a PDF"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(foreign); i++) {
		memset(buf, 0, 0x1000);
		memcpy(buf, foreign[i].magic, foreign[i].n);
		char want[80];
		snprintf(want, sizeof(want), "unrecognised image: %s", foreign[i].what);
		refused(0x1000, want);
		refused(foreign[i].n, want); /* just the magic */
	}
	/* A prefix of a magic is not that format. */
	memset(buf, 0, 0x1000);
	memcpy(buf, "PK\x03", 3);
	accepted(3);
	assert_int_equal(img.kind, IMAGE_FLAT);
}

/* A bzImage setup header (boot.rst): protocol, sectors, flags, addresses, sizes. */
static void bzimage(u16 version, u8 setup_sects, u16 xloadflags, u32 syssize_paras)
{
	memcpy(buf, "MZ", 2); /* the EFI stub's PE header comes first */
	buf[0x1f1] = setup_sects;
	put32(0x1f4, syssize_paras);
	buf[0x201] = 0x6a; /* jump offset: the header ends at 0x26c */
	memcpy(buf + 0x202, "HdrS", 4);
	buf[0x206] = (u8)version;
	buf[0x207] = (u8)(version >> 8);
	buf[0x211] = 1; /* LOADED_HIGH */
	put32(0x22c, 0x7fffffff);
	put32(0x230, 0x200000);
	buf[0x234] = 1;
	buf[0x236] = (u8)xloadflags;
	buf[0x237] = (u8)(xloadflags >> 8);
	put32(0x238, 2047);
	put32(0x258, 0x1000000);
	put32(0x25c, 0);
	put32(0x260, 0x3378000);
}

static void test_linux(void **state)
{
	(void)state;
	bzimage(0x20f, 39, 0x7f, 0x100);
	accepted(40 * 512 + 0x1000);
	assert_int_equal(img.kind, IMAGE_LINUX);
	assert_int_equal(img.lx.version, 0x20f);
	assert_int_equal(img.lx.setup_sects, 39);
	assert_int_equal(img.lx.payload_off, 40 * 512);
	assert_int_equal(img.lx.payload_len, 0x1000);
	assert_int_equal(img.lx.pref_address, 0x1000000);
	assert_int_equal(img.lx.init_size, 0x3378000);
	assert_int_equal(img.lx.kernel_alignment, 0x200000);
	assert_int_equal(img.lx.cmdline_size, 2047);
	assert_int_equal(img.lx.hdr_end, 0x26c);
	assert_true(img.lx.relocatable);
	assert_string_equal(image_kind_names[IMAGE_LINUX], "Linux bzImage");
	/* setup_sects 0 means 4 (boot.rst). */
	bzimage(0x20f, 0, 0x7f, 0x10);
	accepted(5 * 512 + 0x100);
	assert_int_equal(img.lx.payload_off, 5 * 512);
	/* Without the MZ stub it is still a bzImage. */
	buf[0] = buf[1] = 0;
	accepted(5 * 512 + 0x100);
	assert_int_equal(img.kind, IMAGE_LINUX);
}

static void test_linux_refused(void **state)
{
	(void)state;
	bzimage(0x20b, 39, 0x7f, 0x100);
	refused(40 * 512 + 0x1000, "boot protocol 2.11 is older than keel needs (2.12)");
	bzimage(0x20f, 39, 0x7e, 0x100);
	refused(40 * 512 + 0x1000, "no 64-bit entry point");
	bzimage(0x20f, 39, 0x7f, 0x100);
	refused(40 * 512 + 0x100, "truncated image: the setup header describes 4096 bytes");
	refused(0x240, "truncated Linux setup header");
	/* Cut off inside the magic: not a bzImage (here, a PE file). */
	refused(0x205, "unrecognised image: a PE/EFI executable");
}

static void test_error_cleared(void **state)
{
	(void)state;
	refused(0, "empty image");
	buf[0] = 0xeb;
	accepted(1);
	assert_string_equal(img.error, "");
	assert_int_equal(img.mb_flags, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mb_elf32),
		T(test_mb_elf32_errors),
		T(test_mb_elf32_truncated_header),
		T(test_mb_elf64),
		T(test_mb_flags),
		T(test_mb_header_search),
		T(test_mb_beyond_8k_is_flat),
		T(test_mb_neither_elf_nor_aout),
		T(test_aout),
		T(test_aout_loads_from_header),
		T(test_aout_in_elf),
		T(test_aout_entry_outside),
		T(test_aout_errors),
		T(test_flat),
		T(test_flat_size),
		T(test_empty),
		T(test_foreign),
		T(test_linux),
		T(test_linux_refused),
		T(test_error_cleared),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
