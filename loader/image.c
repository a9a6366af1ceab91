/* Image detection and ELF / multiboot / flat parsing (pure C, host-tested). Every offset and
 * size read from an image is checked against its length before use. */
#include "loader/image.h"
#include "boot/multiboot.h"
#include "lib/fmt.h"
#include "lib/string.h"

const char *const image_kind_names[] = {
	[IMAGE_ELF64] = "ELF64",
	[IMAGE_MULTIBOOT] = "multiboot",
	[IMAGE_FLAT] = "flat real-mode",
	[IMAGE_LINUX] = "Linux bzImage",
};

#define FAIL(...)                                                          \
	do {                                                               \
		fmt_snprintf(img->error, sizeof(img->error), __VA_ARGS__); \
		return false;                                              \
	} while (0)

static u16 rd16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}
static u32 rd32(const u8 *p)
{
	return (u32)rd16(p) | (u32)rd16(p + 2) << 16;
}
static u64 rd64(const u8 *p)
{
	return (u64)rd32(p) | (u64)rd32(p + 4) << 32;
}

static bool add_seg(struct image *img, u64 off, u64 filesz, u64 memsz, u64 gpa)
{
	if (img->nsegs == IMAGE_MAX_SEGS)
		FAIL("more than %d loadable segments", IMAGE_MAX_SEGS);
	if (gpa + memsz < gpa || gpa + memsz > (1ull << 40))
		FAIL("a segment at %#llx does not fit in guest memory", gpa);
	img->seg[img->nsegs++] = (struct image_seg){off, filesz, memsz, gpa};
	if (img->nsegs == 1 || gpa < img->lo)
		img->lo = gpa;
	if (gpa + memsz > img->hi)
		img->hi = gpa + memsz;
	return true;
}

/* ELF program headers (ELF32 or ELF64) into segments by physical address. need_identity:
 * an ELF64 guest runs on an identity map, so its virtual and physical addresses must agree. */
static bool parse_elf(const u8 *d, u64 len, struct image *img, bool need_identity)
{
	bool is64 = d[4] == 2;
	if (len < (is64 ? 64u : 52u))
		FAIL("truncated ELF header (%llu bytes)", len);
	if (d[5] != 1 || rd16(d + 18) != (is64 ? 62 : 3))
		FAIL("ELF for another machine (not little-endian %s)", is64 ? "x86-64" : "i386");
	if (rd16(d + 16) != 2)
		FAIL("ELF type %u is not an executable", rd16(d + 16));
	u64 entry = is64 ? rd64(d + 24) : rd32(d + 24);
	u64 phoff = is64 ? rd64(d + 32) : rd32(d + 28);
	u16 phsz = rd16(d + (is64 ? 54 : 42)), phnum = rd16(d + (is64 ? 56 : 44));
	if (phsz < (is64 ? 56 : 32) || phoff > len || (u64)phnum * phsz > len - phoff)
		FAIL("truncated or corrupt ELF program headers");
	img->entry = ~0ull;
	for (u16 i = 0; i < phnum; i++) {
		const u8 *ph = d + phoff + (u64)i * phsz;
		if (rd32(ph) != 1) /* PT_LOAD */
			continue;
		u64 off = is64 ? rd64(ph + 8) : rd32(ph + 4);
		u64 va = is64 ? rd64(ph + 16) : rd32(ph + 8);
		u64 pa = is64 ? rd64(ph + 24) : rd32(ph + 12);
		u64 fsz = is64 ? rd64(ph + 32) : rd32(ph + 16);
		u64 msz = is64 ? rd64(ph + 40) : rd32(ph + 20);
		if (off > len || fsz > len - off)
			FAIL("truncated image: segment %u needs bytes up to %llu of a %llu-byte "
			     "file",
			     i, (off + fsz), len);
		if (fsz > msz)
			FAIL("corrupt ELF: segment %u has more file than memory", i);
		if (need_identity && va != pa)
			FAIL("segment %u is linked at %#llx but loads at %#llx: ELF64 guests run "
			     "on "
			     "an identity map",
			     i, va, pa);
		if (!add_seg(img, off, fsz, msz, pa))
			return false;
		if (entry >= va && entry - va < msz)
			img->entry = pa + (entry - va); /* the entry, as a physical address */
	}
	if (!img->nsegs)
		FAIL("ELF has no loadable segment");
	if (img->entry == ~0ull)
		FAIL("ELF entry point %#llx is in no loadable segment", entry);
	return true;
}

/* The multiboot v1 header in the first 8 KiB, 4-byte aligned, checksummed; -1 if none. */
static s64 find_mb1(const u8 *d, u64 len)
{
	for (u64 i = 0; i + 12 <= len && i + 12 <= 8192; i += 4) /* wholly in the first 8 KiB */
		if (rd32(d + i) == MB1_HEADER_MAGIC &&
		    (u32)(rd32(d + i) + rd32(d + i + 4) + rd32(d + i + 8)) == 0)
			return (s64)i;
	return -1;
}

/* The a.out kludge (multiboot spec 3.1.3): load by the header's addresses. */
static bool parse_aout(const u8 *d, u64 len, u64 h, struct image *img)
{
	if (h + 32 > len)
		FAIL("truncated multiboot header");
	u32 hdr = rd32(d + h + 12), load = rd32(d + h + 16), load_end = rd32(d + h + 20);
	u32 bss_end = rd32(d + h + 24), entry = rd32(d + h + 28);
	if (load > hdr || hdr - load > h)
		FAIL("multiboot header addresses do not match its place in the file");
	u64 off = h - (hdr - load);
	u64 fsz = load_end ? (u64)load_end - load : len - off;
	if (load_end && load_end < load)
		FAIL("multiboot load_end_addr below load_addr");
	if (fsz > len - off)
		FAIL("truncated image: the multiboot header wants %llu bytes from offset %llu of a "
		     "%llu-byte file",
		     fsz, off, len);
	u64 msz = bss_end > load + fsz ? (u64)bss_end - load : fsz;
	if (entry < load || entry - load >= msz)
		FAIL("multiboot entry_addr %#x is outside the image it loads", entry);
	img->entry = entry;
	return add_seg(img, off, fsz, msz, load);
}

static bool parse_multiboot(const u8 *d, u64 len, u64 h, struct image *img)
{
	img->kind = IMAGE_MULTIBOOT;
	img->mb_flags = rd32(d + h + 4);
	/* Required bits 0-15: 0 (page-aligned modules) and 1 (memory info) keel provides; 2
	 * (video mode) is a request keel declines, as QEMU does. */
	if (img->mb_flags & 0xfff8)
		FAIL("multiboot header requires features %#x keel does not offer",
		     img->mb_flags & 0xfff8);
	if (img->mb_flags & BIT(16))
		return parse_aout(d, len, h, img);
	if (len >= 5 &&
	    !memcmp(d,
		    "\x7f"
		    "ELF",
		    4) &&
	    (d[4] == 1 || d[4] == 2))
		return parse_elf(d, len, img, false);
	FAIL("multiboot kernel is neither ELF nor has a.out kludge addresses");
}

/* Formats that are certainly not a flat binary: better refused than run in real mode. */
static const char *foreign(const u8 *d, u64 len)
{
	static const struct {
		const char *magic;
		u8 n;
		const char *what;
	} known[] = {
		{"\x1f\x8b", 2, "gzip data"},
		{"\xfd"
		 "7zXZ",
		 5, "xz data"},
		{"\x28\xb5\x2f\xfd", 4, "zstd data"},
		{"BZh", 3, "bzip2 data"},
		{"PK\x03\x04", 4, "a zip archive"},
		{"MZ", 2, "a PE/EFI executable"},
		{"#!", 2, "a script"},
		{"%PDF", 4, "a PDF"},
		{"\x7f"
		 "ELF",
		 4, "an ELF file keel cannot run"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (len >= known[i].n && !memcmp(d, known[i].magic, known[i].n))
			return known[i].what;
	return NULL;
}

/* The bzImage setup header (boot.rst, "The Real-Mode Kernel Header"): keel uses the 64-bit
 * entry point, which needs protocol 2.12 and XLF_KERNEL_64. */
static bool parse_linux(const u8 *d, u64 len, struct image *img)
{
	struct linux_hdr *h = &img->lx;
	img->kind = IMAGE_LINUX;
	if (len < 0x268)
		FAIL("truncated Linux setup header");
	h->version = rd16(d + 0x206);
	h->setup_sects = d[0x1f1] ? d[0x1f1] : 4;
	h->loadflags = d[0x211];
	h->hdr_end = 0x202 + d[0x201];
	if (h->version < 0x20c)
		FAIL("Linux boot protocol %u.%02u is older than keel needs (2.12)", h->version >> 8,
		     h->version & 0xff);
	h->xloadflags = rd16(d + 0x236);
	if (!(h->xloadflags & 1))
		FAIL("this Linux kernel has no 64-bit entry point (XLF_KERNEL_64)");
	h->relocatable = d[0x234];
	h->kernel_alignment = rd32(d + 0x230);
	h->cmdline_size = rd32(d + 0x238);
	h->initrd_addr_max = rd32(d + 0x22c);
	h->pref_address = rd64(d + 0x258);
	h->init_size = rd32(d + 0x260);
	h->payload_off = (u64)(h->setup_sects + 1) * 512;
	u64 syssize = (u64)rd32(d + 0x1f4) * 16;
	if (h->payload_off >= len || syssize > len - h->payload_off || h->hdr_end > 0x290)
		FAIL("truncated image: the setup header describes %llu bytes of kernel after byte "
		     "%llu "
		     "of a %llu-byte file",
		     syssize, h->payload_off, len);
	h->payload_len = len - h->payload_off;
	if (!h->kernel_alignment || (h->kernel_alignment & (h->kernel_alignment - 1)))
		h->kernel_alignment = 2 * MiB;
	return true;
}

bool image_parse(const u8 *d, u64 len, struct image *img)
{
	memset(img, 0, sizeof(*img));
	if (len == 0)
		FAIL("empty image");
	if (len >= 0x206 && rd32(d + 0x202) == 0x53726448) /* "HdrS" */
		return parse_linux(d, len, img);
	s64 h = find_mb1(d, len);
	if (h >= 0)
		return parse_multiboot(d, len, (u64)h, img);
	if (len >= 5 &&
	    !memcmp(d,
		    "\x7f"
		    "ELF",
		    4) &&
	    d[4] == 2) {
		img->kind = IMAGE_ELF64;
		return parse_elf(d, len, img, true);
	}
	if (len >= 5 && !memcmp(d,
				"\x7f"
				"ELF",
				4))
		FAIL(d[4] == 1 ? "32-bit ELF without a multiboot header: keel cannot enter it"
			       : "ELF of unknown class %u",
		     d[4]);
	const char *what = foreign(d, len);
	if (what)
		FAIL("unrecognised image: %s", what);
	img->kind = IMAGE_FLAT;
	if (len > FLAT_MAX)
		FAIL("flat image of %llu bytes does not fit between 0x7c00 and 0x9fc00", len);
	img->entry = FLAT_LOAD;
	return add_seg(img, 0, len, len, FLAT_LOAD);
}
