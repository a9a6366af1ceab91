/* Guest kernel images: what kind an image is (from its content) and where its bytes go. */
#ifndef KEEL_IMAGE_H
#define KEEL_IMAGE_H

#include "lib/types.h"

enum image_kind {
	IMAGE_ELF64,	 /* 64-bit ELF: entered in long mode on identity page tables */
	IMAGE_MULTIBOOT, /* multiboot v1 kernel (ELF or a.out kludge): 32-bit, paging off */
	IMAGE_FLAT,	 /* anything else that is not a known foreign format: real mode */
	IMAGE_LINUX,	 /* a Linux bzImage (boot protocol) */
};

/* Flat images are loaded and entered at 0000:7c00, as a boot sector, and may grow up to the
 * EBDA at 0x9fc00. */
#define FLAT_LOAD 0x7c00ull
#define FLAT_MAX  (0x9fc00ull - FLAT_LOAD)

#define IMAGE_MAX_SEGS 16

struct image_seg {
	u64 off, filesz, memsz, gpa;
};

/* What a bzImage's setup header says (Documentation/arch/x86/boot.rst). */
struct linux_hdr {
	u16 version;	/* boot protocol, e.g. 0x020f */
	u8 setup_sects; /* 512-byte sectors of real-mode setup after the boot sector */
	u8 loadflags;
	u16 xloadflags; /* bit 0: 64-bit entry at load address + 0x200 */
	u8 relocatable;
	u32 kernel_alignment;
	u64 pref_address;
	u32 init_size; /* memory the kernel needs from its load address while it boots */
	u32 cmdline_size;
	u32 initrd_addr_max;
	u32 hdr_end; /* offset just past the setup header, to copy it into boot_params */
	u64 payload_off, payload_len; /* the protected-mode kernel in the file */
};

struct image {
	enum image_kind kind;
	struct linux_hdr lx;
	u64 entry;  /* guest-physical entry point */
	u64 lo, hi; /* lowest and highest (exclusive) guest-physical bytes loaded */
	int nsegs;
	struct image_seg seg[IMAGE_MAX_SEGS];
	u32 mb_flags; /* multiboot header flags */
	char error[160];
};

extern const char *const image_kind_names[];

/* Work out what data[0..len) is and where it loads; false with img->error set if it is empty,
 * truncated, inconsistent or of a kind keel cannot run. */
bool image_parse(const u8 *data, u64 len, struct image *img);

#endif
