/* The snapshot file (README "Snapshot format"): what snapshot-export streams out and vm-import
 * reads back, in another keel run, on either backend. A file is a sequence of records, each a
 * 16-byte header (magic "KSNP", type, version, payload length, the payload's CRC-32) and its
 * payload, little-endian:
 *
 *   HEADER   once, first: the format's name and version, the VM's name, tag, vCPUs, RAM, devices
 *   VCPUS    once: every vCPU's record (vm/vcpu_rec.h), one after another
 *   DEVICES  once: every device's record (vdev/vdevs.h), one after another
 *   PAGE     one per 4 KiB page of RAM that is not all zero: its guest-physical address, its bytes
 *   END      once, last: how many records and pages came before it
 *
 * Zero pages are left out: an imported VM's RAM starts zeroed. Parsing (snapfile_parse) checks
 * everything before anything is built, so a truncated, corrupted or foreign file changes
 * nothing. Pure C: the host unit tests drive it. */
#ifndef KEEL_SNAPFILE_H
#define KEEL_SNAPFILE_H

#include "lib/types.h"

#define SNAPF_MAGIC   0x504e534bu /* "KSNP" as bytes */
#define SNAPF_VERSION 1
#define SNAPF_NAME    32 /* bytes of a VM name or tag, with the NUL */
#define SNAPF_NICS    4
#define SNAPF_SWITCH  16

enum snapf_type {
	SNAPF_HEADER = 1,
	SNAPF_VCPUS = 2,
	SNAPF_DEVICES = 3,
	SNAPF_PAGE = 4,
	SNAPF_END = 5
};

struct snapf_rec {
	u32 magic;   /* 0x00 SNAPF_MAGIC */
	u16 type;    /* 0x04 enum snapf_type */
	u16 version; /* 0x06 SNAPF_VERSION */
	u32 len;     /* 0x08 payload bytes */
	u32 crc;     /* 0x0c CRC-32 of the payload */
};
_Static_assert(sizeof(struct snapf_rec) == 16, "record header");

#define SNAPF_CONSOLE_VIRTIO BIT(0)
#define SNAPF_RNG	     BIT(1)

struct snapf_header {
	char format[8];			   /* 0x00 "keelsnap" */
	u32 nvcpus;			   /* 0x08 */
	u32 flags;			   /* 0x0c SNAPF_CONSOLE_VIRTIO, SNAPF_RNG */
	u64 ram;			   /* 0x10 bytes of RAM */
	char vm[SNAPF_NAME];		   /* 0x18 the VM it was taken of */
	char tag[SNAPF_NAME];		   /* 0x38 */
	u32 ndisks;			   /* 0x58 disks the VM had (an import needs 0) */
	u32 nnics;			   /* 0x5c */
	char sw[SNAPF_NICS][SNAPF_SWITCH]; /* 0x60 each NIC's switch */
};
_Static_assert(sizeof(struct snapf_header) == 0xa0, "header record");

struct snapf_end {
	u64 records; /* before this one */
	u64 pages;
};

/* A parsed file: pointers into its buffer. */
struct snapf_view {
	struct snapf_header h;
	const u8 *vcpus;
	u64 vcpus_len;
	const u8 *devs;
	u64 devs_len;
	u64 pages;
};

/* Check a whole file (len bytes): NULL and v filled, or why it is refused. RAM's layout is
 * keel's (mm/gmem.h): [0, min(ram, 3 GiB)) and the rest at 4 GiB. */
const char *snapfile_parse(const u8 *buf, u64 len, struct snapf_view *v);
/* Check a header record on its own (a migration's first message): NULL, or why it is refused. */
const char *snapfile_check_header(const struct snapf_header *h);
/* Each PAGE record of a file snapfile_parse accepted, in file order: fn(ctx, address, bytes). */
void snapfile_pages(const u8 *buf, u64 len, void (*fn)(void *ctx, u64 gpa, const u8 *data),
		    void *ctx);
/* Append one record to buf at *at (cap bytes): false if it does not fit. */
bool snapfile_put(u8 *buf, u64 cap, u64 *at, u16 type, const void *payload, u32 n);

#endif
