/* Device state records (README "Device state records"): what a device's save writes and its
 * load reads back. A record is a 16-byte header and the device's payload; every field is
 * fixed-width little-endian, there are no pointers, and times are kept relative to the guest
 * clock at save time, so a record loads into a fresh VM at any other "now", or from a file. */
#ifndef KEEL_VRECORD_H
#define KEEL_VRECORD_H

#include "lib/types.h"

/* x86 stores a record's fields in the order the format wants: payloads are written as is. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "records are little-endian");

#define VREC_MAGIC 0x5645444bu /* "KDEV" as bytes */
/* No device's record is larger: a caller's buffer of this fits. The largest are the PCI bus's
 * with a VM's every virtio function (vdev/vpci_rec.c: 14 functions of 9 vectors, ~2.8 KiB) and
 * the virtio transport's (vdev/virtio_rec.c: 16 devices of 8 queues at most, ~6.5 KiB). */
#define VREC_MAX 8192

/* Which device a record holds. Never renumbered: records outlive keel runs. */
enum vrec_kind {
	VREC_UART = 1,
	VREC_DEBUGEXIT = 2,
	VREC_FWCFG = 3,
	VREC_PIC = 4,
	VREC_PIT = 5,
	VREC_RTC = 6,
	VREC_IOAPIC = 7,
	VREC_PCI = 8,
	VREC_KBD = 9,
	VREC_PM = 10,
	VREC_LAPIC = 11,
	VREC_VIRTIO = 12,
	VREC_VCPU = 13, /* a vCPU (vm/vcpu_rec.c) */
};

struct vrec_header {
	u32 magic;     /* 0x00 VREC_MAGIC */
	u16 kind;      /* 0x04 enum vrec_kind */
	u16 version;   /* 0x06 the payload's layout, counted per kind from 1 */
	u32 size;      /* 0x08 payload bytes after the header */
	u32 clock_khz; /* 0x0c the guest clock's rate at save: the payload's times count in it */
};
_Static_assert(sizeof(struct vrec_header) == 16, "record header");

/* Times in a record are at most this far from the saver's now (in either direction): about
 * 12 years at 3 GHz, and far from overflow when rescaled to another clock rate. */
#define VREC_TIME_MAX (1ll << 60)
/* Counts of a device's own clock (PIT, RTC time base) in a record stay below this. */
#define VREC_TICKS_MAX (1ull << 48)

/* Write a record of size payload bytes into buf (len bytes): returns the bytes written, or 0
 * if it does not fit. payload NULL: the caller writes the payload after the header itself. */
u64 vrec_write(void *buf, u64 len, u16 kind, u16 version, const void *payload, u32 size);

/* A guest-clock time as a record keeps it: its distance from the saver's now. */
static inline s64 vrec_rel(u64 at, u64 now)
{
	return (s64)(at - now);
}

/* Guest-clock ticks from then to now, 0 if then is later. Modular, so a time a load put
 * before the clock's zero (a record older than this keel's clock) still counts right. */
static inline u64 vrec_since(u64 now, u64 then)
{
	return (s64)(now - then) > 0 ? now - then : 0;
}

/* The length of the record at buf (avail bytes left), from its header: all that is left when
 * the header is cut short or claims more (the record's load then refuses it). For walking
 * records laid one after another. */
u64 vrec_len(const void *buf, u64 avail);

/* A record being read: the load's now, the clock rate its times count in, and the first
 * reason to refuse it (NULL while it is acceptable). A load checks every field through
 * vrec_require and changes its device only if why is still NULL at the end. */
struct vrec_reader {
	u64 now;
	u32 khz;
	const char *why;
};

/* Check that buf (len bytes) is one whole record of kind and version whose payload is size
 * bytes, and copy the payload out (buf may be unaligned; payload NULL: the caller reads it
 * from buf after the header). False, with r->why, if not. */
bool vrec_open(struct vrec_reader *r, const void *buf, u64 len, u16 kind, u16 version,
	       void *payload, u32 size, u64 now);
/* Refuse the record, for why, unless ok (the first reason is kept). */
void vrec_require(struct vrec_reader *r, bool ok, const char *why);
/* A saved time (vrec_rel) as a time on this clock at r->now. */
u64 vrec_time(struct vrec_reader *r, s64 rel);
/* A saved timer deadline: as vrec_time, but one that had passed fires at once (never 0). */
u64 vrec_deadline(struct vrec_reader *r, s64 rel);
/* A saved length of time in guest-clock ticks, on this clock. */
u64 vrec_span(struct vrec_reader *r, u64 ticks);

#endif
