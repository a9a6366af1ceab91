/* What the image parser's tests share (test_image.c, test_image_mb.c): a buffer to build an
 * image in, the parse helpers and the builders of ELF headers, segments and multiboot headers. */
#ifndef KEEL_TEST_IMAGE_BUILD_H
#define KEEL_TEST_IMAGE_BUILD_H

#include "tests/unit/fakes.h"
#include "boot/multiboot.h"
#include "loader/image.h"
#include <elf.h>
#include <stdio.h>
#include <string.h>

#define BUFSZ (FLAT_MAX + 0x1000)
static u8 buf[BUFSZ] __aligned(16);
static struct image img;

static inline int setup(void **state)
{
	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(&img, 0xa5, sizeof(img)); /* image_parse must clear what it does not set */
	return 0;
}

static inline void put32(u64 at, u32 v)
{
	memcpy(buf + at, &v, 4); /* the host is little-endian, like the images */
}

static inline bool parse(u64 len)
{
	return image_parse(buf, len, &img);
}

/* len bytes must be refused with an error containing why. */
static inline void refused(u64 len, const char *why)
{
	if (parse(len))
		fail_msg("accepted; wanted '%s'", why);
	if (!strstr(img.error, why))
		fail_msg("error '%s' does not say '%s'", img.error, why);
}

static inline void accepted(u64 len)
{
	if (!parse(len))
		fail_msg("refused: %s", img.error);
	assert_string_equal(img.error, "");
}

static inline void assert_seg(int i, u64 off, u64 filesz, u64 memsz, u64 gpa)
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
static inline void elf64(u64 entry, int nph)
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

static inline void seg64(int i, u32 type, u64 off, u64 va, u64 pa, u64 filesz, u64 memsz)
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
static inline void elf32(u32 entry, int nph)
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

static inline void seg32(int i, u32 type, u32 off, u32 va, u32 pa, u32 filesz, u32 memsz)
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
static inline void mb1(u64 at, u32 flags)
{
	put32(at, MB1_HEADER_MAGIC);
	put32(at + 4, flags);
	put32(at + 8, 0u - MB1_HEADER_MAGIC - flags);
}

/* The a.out kludge addresses after a multiboot header at offset at (spec 3.1.3). */
static inline void kludge(u64 at, u32 header, u32 load, u32 load_end, u32 bss_end, u32 entry)
{
	put32(at + 12, header);
	put32(at + 16, load);
	put32(at + 20, load_end);
	put32(at + 24, bss_end);
	put32(at + 28, entry);
}

/* ---- ELF64 ------------------------------------------------------------------------------- */

#define T(f) cmocka_unit_test_setup(f, setup)

#endif
