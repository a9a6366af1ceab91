/* A tiny virtio driver for the transport's tests: the common configuration through the
 * transport's own entry points, and split rings built in the fake guest RAM (fakes_virtio.h)
 * at fixed places: the descriptor table at DESC, the available ring at AVAIL, the used ring at
 * USED, buffers from BUF. */
#ifndef KEEL_TEST_VIRTIO_DRV_H
#define KEEL_TEST_VIRTIO_DRV_H

#include "tests/unit/fakes_virtio.h"

#include <string.h>

#define DESC  0x1000ull
#define AVAIL 0x2000ull
#define USED  0x3000ull
#define BUF   0x10000ull
#define RAM   (1 * MiB)

#define D_NEXT	   1
#define D_WRITE	   2
#define D_INDIRECT 4

/* Common configuration offsets (virtio 1.2 4.1.4.3). */
enum {
	C_DFSELECT = 0x00,
	C_DF = 0x04,
	C_GFSELECT = 0x08,
	C_GF = 0x0c,
	C_MSIX = 0x10,
	C_NUMQ = 0x12,
	C_STATUS = 0x14,
	C_GEN = 0x15,
	C_QSEL = 0x16,
	C_QSIZE = 0x18,
	C_QMSIX = 0x1a,
	C_QENABLE = 0x1c,
	C_QNOTIFY = 0x1e,
	C_QDESC = 0x20,
	C_QDRIVER = 0x28,
	C_QDEVICE = 0x30,
};

static inline u64 rd(struct virtio_dev *d, u32 off, u8 size)
{
	return virtio_common_read(d, off, size);
}

static inline void wr(struct virtio_dev *d, u32 off, u8 size, u64 val)
{
	virtio_common_write(d, off, size, val);
}

/* 3.1.1 up to FEATURES_OK with these features accepted: the status read back. */
static inline u8 negotiate(struct virtio_dev *d, u64 features)
{
	wr(d, C_STATUS, 1, VIRTIO_S_ACKNOWLEDGE);
	wr(d, C_STATUS, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	wr(d, C_GFSELECT, 4, 0);
	wr(d, C_GF, 4, (u32)features);
	wr(d, C_GFSELECT, 4, 1);
	wr(d, C_GF, 4, (u32)(features >> 32));
	wr(d, C_STATUS, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
	return (u8)rd(d, C_STATUS, 1);
}

/* Queue q of size entries with its rings at desc, avail and used, enabled. */
static inline void queue_at(struct virtio_dev *d, u16 q, u16 size, u64 desc, u64 avail, u64 used)
{
	wr(d, C_QSEL, 2, q);
	wr(d, C_QSIZE, 2, size);
	wr(d, C_QMSIX, 2, q);
	wr(d, C_QDESC, 8, desc);
	wr(d, C_QDRIVER, 4, (u32)avail);
	wr(d, C_QDRIVER + 4, 4, (u32)(avail >> 32));
	wr(d, C_QDEVICE, 8, used);
	wr(d, C_QENABLE, 2, 1);
}

/* DRIVER_OK on top of what status holds. */
static inline void driver_ok(struct virtio_dev *d)
{
	wr(d, C_STATUS, 1, rd(d, C_STATUS, 1) | VIRTIO_S_DRIVER_OK);
}

/* Descriptor i of the table at table. */
static inline void desc(u64 table, u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	u8 *p = fake_gpa(table + 16ull * i);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static inline u16 *avail_flags(void)
{
	return fake_gpa(AVAIL);
}

static inline u16 *avail_idx(void)
{
	return fake_gpa(AVAIL + 2);
}

/* Put head in the available ring (size entries) and move idx on. */
static inline void offer(u16 size, u16 head)
{
	u16 *idx = avail_idx();
	*(u16 *)fake_gpa(AVAIL + 4 + 2ull * (*idx % size)) = head;
	(*idx)++;
}

/* used_event (2.7.10): after the available ring's size entries. */
static inline u16 *used_event(u16 size)
{
	return fake_gpa(AVAIL + 4 + 2ull * size);
}

static inline u16 used_idx(void)
{
	return *(u16 *)fake_gpa(USED + 2);
}

/* Used ring entry i: id and len. */
static inline u32 used_id(u16 size, u16 i)
{
	return *(u32 *)fake_gpa(USED + 4 + 8ull * (i % size));
}

static inline u32 used_len(u16 size, u16 i)
{
	return *(u32 *)fake_gpa(USED + 8 + 8ull * (i % size));
}

/* avail_event (2.7.10): after the used ring's size entries. */
static inline u16 avail_event(u16 size)
{
	return *(u16 *)fake_gpa(USED + 4 + 8ull * size);
}

#endif
