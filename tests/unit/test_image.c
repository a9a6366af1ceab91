/* Guest image detection and parsing: ELF64, multiboot (ELF32, ELF64 and the a.out kludge),
 * flat binaries, and the images keel refuses. Images are built in a buffer. */
#include "tests/unit/fakes.h"
#include "boot/multiboot.h"
#include "loader/image.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>

#define BUFSZ (FLAT_MAX + 0x1000)
static u8 buf[BUFSZ] __aligned(16);
static struct image img;

static int setup(void **state)
{
	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(&img, 0xa5, sizeof(img)); /* image_parse must clear what it does not set */
	return 0;
}

static void put32(u64 at, u32 v)
{
	memcpy(buf + at, &v, 4); /* the host is little-endian, like the images */
}

static bool parse(u64 len)
{
	return image_parse(buf, len, &img);
}

/* len bytes must be refused with an error containing why. */
static void refused(u64 len, const char *why)
{
	if (parse(len))
		fail_msg("accepted; wanted '%s'", why);
	if (!strstr(img.error, why))
		fail_msg("error '%s' does not say '%s'", img.error, why);
}

static void accepted(u64 len)
{
	if (!parse(len))
		fail_msg("refused: %s", img.error);
	assert_string_equal(img.error, "");
}

static void assert_seg(int i, u64 off, u64 filesz, u64 memsz, u64 gpa)
{
	assert_true(i < img.nsegs);
	assert_int_equal(img.seg[i].off, off);
	assert_int_equal(img.seg[i].filesz, filesz);
	assert_int_equal(img.seg[i].memsz, memsz);
	assert_int_equal(img.seg[i].gpa, gpa);
}

/* ---- ELF builders ------------------------------------------------------------------------ */

static Elf64_Ehdr *eh64(void)
{
	return (Elf64_Ehdr *)buf;
}
static Elf64_Phdr *ph64(int i)
{
	return (Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr)) + i;
}
static Elf32_Ehdr *eh32(void)
{
	return (Elf32_Ehdr *)buf;
}
static Elf32_Phdr *ph32(int i)
{
	return (Elf32_Phdr *)(buf + sizeof(Elf32_Ehdr)) + i;
}

/* An x86-64 executable header with nph program headers right after it. */
static void elf64(u64 entry, int nph)
{
	Elf64_Ehdr *e = eh64();
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_EXEC;
	e->e_machine = EM_X86_64;
	e->e_version = EV_CURRENT;
	e->e_entry = entry;
	e->e_phoff = sizeof(Elf64_Ehdr);
	e->e_ehsize = sizeof(Elf64_Ehdr);
	e->e_phentsize = sizeof(Elf64_Phdr);
	e->e_phnum = (u16)nph;
}

static void seg64(int i, u32 type, u64 off, u64 va, u64 pa, u64 filesz, u64 memsz)
{
	*ph64(i) = (Elf64_Phdr){.p_type = type,
				.p_flags = PF_R | PF_X,
				.p_offset = off,
				.p_vaddr = va,
				.p_paddr = pa,
				.p_filesz = filesz,
				.p_memsz = memsz,
				.p_align = 0x1000};
}

/* An i386 executable header with nph program headers right after it. */
static void elf32(u32 entry, int nph)
{
	Elf32_Ehdr *e = eh32();
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS32;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_EXEC;
	e->e_machine = EM_386;
	e->e_version = EV_CURRENT;
	e->e_entry = entry;
	e->e_phoff = sizeof(Elf32_Ehdr);
	e->e_ehsize = sizeof(Elf32_Ehdr);
	e->e_phentsize = sizeof(Elf32_Phdr);
	e->e_phnum = (u16)nph;
}

static void seg32(int i, u32 type, u32 off, u32 va, u32 pa, u32 filesz, u32 memsz)
{
	*ph32(i) = (Elf32_Phdr){.p_type = type,
				.p_offset = off,
				.p_vaddr = va,
				.p_paddr = pa,
				.p_filesz = filesz,
				.p_memsz = memsz,
				.p_flags = PF_R | PF_X,
				.p_align = 0x1000};
}

/* A multiboot v1 header at offset at: magic, flags, checksum. */
static void mb1(u64 at, u32 flags)
{
	put32(at, MB1_HEADER_MAGIC);
	put32(at + 4, flags);
	put32(at + 8, 0u - MB1_HEADER_MAGIC - flags);
}

/* The a.out kludge addresses after a multiboot header at offset at (spec 3.1.3). */
static void kludge(u64 at, u32 header, u32 load, u32 load_end, u32 bss_end, u32 entry)
{
	put32(at + 12, header);
	put32(at + 16, load);
	put32(at + 20, load_end);
	put32(at + 24, bss_end);
	put32(at + 28, entry);
}

/* ---- ELF64 ------------------------------------------------------------------------------- */

static void test_elf64_one_segment(void **state)
{
	(void)state;
	elf64(0x100010, 1);
	seg64(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x800, 0x3000);
	accepted(0x1800);
	assert_int_equal(img.kind, IMAGE_ELF64);
	assert_int_equal(img.entry, 0x100010);
	assert_int_equal(img.nsegs, 1);
	assert_seg(0, 0x1000, 0x800, 0x3000, 0x100000);
	assert_int_equal(img.lo, 0x100000);
	assert_int_equal(img.hi, 0x103000);
	assert_int_equal(img.mb_flags, 0);
	assert_string_equal(image_kind_names[img.kind], "ELF64");
}

static void test_elf64_segments(void **state)
{
	(void)state;
	/* Non-PT_LOAD headers are skipped; segments may come in any order; the entry may be in
	 * any of them, even in its bss part. */
	elf64(0x402ff0, 5);
	seg64(0, PT_NOTE, 0x2000, 0x500000, 0x500000, 0x10, 0x10);
	seg64(1, PT_LOAD, 0x2000, 0x400000, 0x400000, 0x1000, 0x3000);
	seg64(2, PT_LOAD, 0x1000, 0x200000, 0x200000, 0x1000, 0x1000);
	seg64(3, PT_GNU_STACK, 0, 0, 0, 0, 0);
	seg64(4, PT_LOAD, 0x3000, 0x600000, 0x600000, 0, 0x2000); /* all bss */
	accepted(0x3000);
	assert_int_equal(img.kind, IMAGE_ELF64);
	assert_int_equal(img.entry, 0x402ff0);
	assert_int_equal(img.nsegs, 3);
	assert_seg(0, 0x2000, 0x1000, 0x3000, 0x400000);
	assert_seg(1, 0x1000, 0x1000, 0x1000, 0x200000);
	assert_seg(2, 0x3000, 0, 0x2000, 0x600000);
	assert_int_equal(img.lo, 0x200000);
	assert_int_equal(img.hi, 0x602000);
}

static void test_elf64_entry_edges(void **state)
{
	(void)state;
	elf64(0x100000, 1);
	seg64(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x1000, 0x2000);
	accepted(0x2000); /* the first byte */
	assert_int_equal(img.entry, 0x100000);
	eh64()->e_entry = 0x101fff; /* the last byte of memsz */
	accepted(0x2000);
	assert_int_equal(img.entry, 0x101fff);
	eh64()->e_entry = 0x102000; /* one past */
	refused(0x2000, "ELF entry point 0x102000 is in no loadable segment");
	eh64()->e_entry = 0xfffff;
	refused(0x2000, "ELF entry point 0xfffff is in no loadable segment");
	eh64()->e_entry = 0;
	refused(0x2000, "is in no loadable segment");
}

static void test_elf64_phdr_layout(void **state)
{
	(void)state;
	/* Program headers elsewhere in the file, and larger than Elf64_Phdr: both allowed. */
	elf64(0x100000, 2);
	eh64()->e_phoff = 0x400;
	eh64()->e_phentsize = 64;
	Elf64_Phdr *p = (Elf64_Phdr *)(buf + 0x400);
	p[0] = (Elf64_Phdr){.p_type = PT_LOAD,
			    .p_offset = 0x1000,
			    .p_vaddr = 0x100000,
			    .p_paddr = 0x100000,
			    .p_filesz = 0x100,
			    .p_memsz = 0x100};
	Elf64_Phdr *q = (Elf64_Phdr *)(buf + 0x440);
	*q = (Elf64_Phdr){.p_type = PT_LOAD,
			  .p_offset = 0x1100,
			  .p_vaddr = 0x200000,
			  .p_paddr = 0x200000,
			  .p_filesz = 0x100,
			  .p_memsz = 0x100};
	accepted(0x1200);
	assert_int_equal(img.nsegs, 2);
	assert_seg(1, 0x1100, 0x100, 0x100, 0x200000);
	/* Headers that end exactly at the end of the file. */
	elf64(0x100000, 1);
	eh64()->e_phoff = 0x1000 - sizeof(Elf64_Phdr);
	*(Elf64_Phdr *)(buf + 0x1000 - sizeof(Elf64_Phdr)) = (Elf64_Phdr){.p_type = PT_LOAD,
									  .p_vaddr = 0x100000,
									  .p_paddr = 0x100000,
									  .p_filesz = 0x40,
									  .p_memsz = 0x1000};
	accepted(0x1000);
	assert_seg(0, 0, 0x40, 0x1000, 0x100000);
}

static void test_elf64_truncated_header(void **state)
{
	(void)state;
	elf64(0x100000, 1);
	seg64(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x10, 0x10);
	refused(5, "truncated ELF header (5 bytes)");
	refused(32, "truncated ELF header (32 bytes)");
	refused(63, "truncated ELF header (63 bytes)");
}

static void test_elf64_truncated_phdrs(void **state)
{
	(void)state;
	const char *why = "truncated or corrupt ELF program headers";
	elf64(0x100000, 2);
	seg64(0, PT_LOAD, 0, 0x100000, 0x100000, 0x10, 0x10);
	seg64(1, PT_LOAD, 0, 0x200000, 0x200000, 0x10, 0x10);
	accepted(64 + 2 * 56);
	refused(64 + 2 * 56 - 1, why); /* the last header is one byte short */
	refused(64, why);
	refused(100, why);
	eh64()->e_phoff = 0x10000; /* past the end */
	refused(0x1000, why);
	eh64()->e_phoff = ~0ull; /* offset + size wraps */
	refused(0x1000, why);
	eh64()->e_phoff = 64;
	eh64()->e_phentsize = 32; /* smaller than an Elf64_Phdr */
	refused(0x1000, why);
	eh64()->e_phentsize = 56;
	eh64()->e_phnum = 0xffff; /* 65535 headers in a 4 KiB file */
	refused(0x1000, why);
}

static void test_elf64_segment_past_end(void **state)
{
	(void)state;
	elf64(0x100000, 1);
	seg64(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x1000, 0x1000);
	accepted(0x2000);
	refused(0x1fff, "truncated image: segment 0 needs bytes up to 8192 of a 8191-byte file");
	ph64(0)->p_offset = 0x3000; /* starts past the end */
	refused(0x2000, "truncated image: segment 0");
	ph64(0)->p_offset = ~0ull - 0x10; /* off + filesz wraps */
	refused(0x2000, "truncated image: segment 0");
	ph64(0)->p_offset = 0x1000;
	ph64(0)->p_filesz = ~0ull;
	ph64(0)->p_memsz = ~0ull;
	refused(0x2000, "truncated image: segment 0");
}

static void test_elf64_filesz_over_memsz(void **state)
{
	(void)state;
	elf64(0x100000, 2);
	seg64(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x100, 0x100);
	seg64(1, PT_LOAD, 0x1000, 0x200000, 0x200000, 0x101, 0x100);
	refused(0x2000, "corrupt ELF: segment 1 has more file than memory");
}

static void test_elf64_not_identity(void **state)
{
	(void)state;
	elf64(0xffffffff80100000ull, 1);
	seg64(0, PT_LOAD, 0x1000, 0xffffffff80100000ull, 0x100000, 0x100, 0x100);
	refused(0x2000, "segment 0 is linked at 0xffffffff80100000 but loads at 0x100000");
	assert_non_null(strstr(img.error, "identity map"));
	/* Only PT_LOAD segments are held to it. */
	elf64(0x100000, 2);
	seg64(0, PT_NOTE, 0x1000, 0xffffffff80100000ull, 0x100000, 0x10, 0x10);
	seg64(1, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x100, 0x100);
	accepted(0x2000);
	assert_int_equal(img.nsegs, 1);
}

static void test_elf64_no_load(void **state)
{
	(void)state;
	elf64(0x100000, 0);
	refused(0x1000, "ELF has no loadable segment");
	elf64(0x100000, 2);
	seg64(0, PT_NOTE, 0x1000, 0x100000, 0x100000, 0x10, 0x10);
	seg64(1, PT_DYNAMIC, 0x1000, 0x100000, 0x100000, 0x10, 0x10);
	refused(0x2000, "ELF has no loadable segment");
}

static void test_elf64_wrong_machine(void **state)
{
	(void)state;
	elf64(0x100000, 1);
	seg64(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x10, 0x10);
	eh64()->e_machine = EM_AARCH64;
	refused(0x2000, "ELF for another machine (not little-endian x86-64)");
	eh64()->e_machine = EM_386;
	refused(0x2000, "ELF for another machine");
	eh64()->e_machine = EM_X86_64;
	eh64()->e_ident[EI_DATA] = ELFDATA2MSB;
	refused(0x2000, "ELF for another machine");
	eh64()->e_ident[EI_DATA] = ELFDATA2LSB;
	accepted(0x2000);
}

static void test_elf64_not_executable(void **state)
{
	(void)state;
	elf64(0x100000, 1);
	seg64(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x10, 0x10);
	eh64()->e_type = ET_DYN;
	refused(0x2000, "ELF type 3 is not an executable");
	eh64()->e_type = ET_REL;
	refused(0x2000, "ELF type 1 is not an executable");
}

static void test_elf64_too_many_segments(void **state)
{
	(void)state;
	elf64(0x100000, IMAGE_MAX_SEGS + 1);
	for (int i = 0; i <= IMAGE_MAX_SEGS; i++)
		seg64(i, PT_LOAD, 0x2000, 0x100000 + (u64)i * 0x1000, 0x100000 + (u64)i * 0x1000,
		      0x10, 0x1000);
	refused(0x3000, "more than 16 loadable segments");
	eh64()->e_phnum = IMAGE_MAX_SEGS;
	accepted(0x3000);
	assert_int_equal(img.nsegs, IMAGE_MAX_SEGS);
	assert_int_equal(img.lo, 0x100000);
	assert_int_equal(img.hi, 0x110000);
}

static void test_elf64_beyond_guest_memory(void **state)
{
	(void)state;
	/* Guest-physical space ends at 1 TiB. */
	elf64((1ull << 40) - 0x1000, 1);
	seg64(0, PT_LOAD, 0x1000, (1ull << 40) - 0x1000, (1ull << 40) - 0x1000, 0x10, 0x1000);
	accepted(0x2000);
	assert_int_equal(img.hi, 1ull << 40);
	ph64(0)->p_memsz = 0x1001;
	refused(0x2000, "a segment at 0xfffffff000 does not fit in guest memory");
	seg64(0, PT_LOAD, 0x1000, ~0ull - 0xfff, ~0ull - 0xfff, 0x10, 0x2000); /* wraps */
	eh64()->e_entry = ~0ull - 0xfff;
	refused(0x2000, "does not fit in guest memory");
}

static void test_elf_bad_class(void **state)
{
	(void)state;
	/* ELF32 without a multiboot header: keel has no way to enter it. */
	elf32(0x100000, 1);
	seg32(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x10, 0x10);
	refused(0x2000, "32-bit ELF without a multiboot header");
	/* Just the magic: too short to say more. */
	refused(4, "unrecognised image: an ELF file keel cannot run");
}

/* ---- multiboot --------------------------------------------------------------------------- */

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

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_elf64_one_segment),
		T(test_elf64_segments),
		T(test_elf64_entry_edges),
		T(test_elf64_phdr_layout),
		T(test_elf64_truncated_header),
		T(test_elf64_truncated_phdrs),
		T(test_elf64_segment_past_end),
		T(test_elf64_filesz_over_memsz),
		T(test_elf64_not_identity),
		T(test_elf64_no_load),
		T(test_elf64_wrong_machine),
		T(test_elf64_not_executable),
		T(test_elf64_too_many_segments),
		T(test_elf64_beyond_guest_memory),
		T(test_elf_bad_class),
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
