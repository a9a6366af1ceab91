/* Guest image detection and parsing, ELF64 images and the ones keel refuses (multiboot, a.out,
 * flat and Linux images: test_image_mb.c). Images are built in a buffer (image_build.h). */
#include "tests/unit/image_build.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_elf64_one_segment),	 T(test_elf64_segments),
		T(test_elf64_entry_edges),	 T(test_elf64_phdr_layout),
		T(test_elf64_truncated_header),	 T(test_elf64_truncated_phdrs),
		T(test_elf64_segment_past_end),	 T(test_elf64_filesz_over_memsz),
		T(test_elf64_not_identity),	 T(test_elf64_no_load),
		T(test_elf64_wrong_machine),	 T(test_elf64_not_executable),
		T(test_elf64_too_many_segments), T(test_elf64_beyond_guest_memory),
		T(test_elf_bad_class),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
