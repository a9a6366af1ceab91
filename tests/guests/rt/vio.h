/* Virtio over PCI for the test guests' own small drivers (virtio 1.2 4.1): configuration space
 * through ports 0xcf8/0xcfc, MMIO accessors, and the vendor capabilities that place a
 * function's structures. The drivers themselves (queues, requests) stay in each guest: each
 * tests something else. */
#ifndef GUEST_VIO_H
#define GUEST_VIO_H

#include "rt/rt.h"

#define VIO_VENDOR 0x1af4
/* A modern virtio function's PCI device ID: 0x1040 + the virtio device ID (4.1.2.1). */
#define VIO_PCI_ID(dev) ((u32)(0x1040u + (dev)) << 16 | VIO_VENDOR)

/* The common configuration structure's fields (4.1.4.3). */
enum {
	VIO_DFSELECT = 0x00,
	VIO_DF = 0x04,
	VIO_GFSELECT = 0x08,
	VIO_GF = 0x0c,
	VIO_NUM_QUEUES = 0x12,
	VIO_STATUS = 0x14,
	VIO_Q_SELECT = 0x16,
	VIO_Q_SIZE = 0x18,
	VIO_Q_ENABLE = 0x1c,
	VIO_Q_NOTIFY_OFF = 0x1e,
	VIO_Q_DESC = 0x20,
	VIO_Q_DRIVER = 0x28,
	VIO_Q_DEVICE = 0x30,
};

/* A split virtqueue's descriptor (2.7.5); each driver lays out its own rings. */
struct desc {
	u64 addr;
	u32 len;
	u16 flags, next;
};

/* A split virtqueue's driver and device areas for qsz entries (2.7.6, 2.7.8), as types. */
#define VIO_AVAIL(qsz)                                 \
	struct {                                       \
		u16 flags, idx, ring[qsz], used_event; \
	}
#define VIO_USED(qsz)                \
	struct {                     \
		u16 flags, idx;      \
		struct {             \
			u32 id, len; \
		} ring[qsz];         \
		u16 avail_event;     \
	}

/* Bus 0's configuration space, mechanism #1 (PCI 3.0, 3.2.2.3.2). */
u32 pci_cfg32(u8 slot, u8 off);
u8 pci_cfg8(u8 slot, u8 off);
void pci_cfg_w16(u8 slot, u8 off, u16 v);
/* A memory BAR's base as placed (a 64-bit BAR takes the next slot's dword too). */
u64 pci_bar(u8 slot, u8 bar);

/* MMIO. */
static inline u8 r8(uintptr_t a)
{
	return *(volatile u8 *)a;
}
static inline u16 r16(uintptr_t a)
{
	return *(volatile u16 *)a;
}
static inline u32 r32(uintptr_t a)
{
	return *(volatile u32 *)a;
}
static inline void w8(uintptr_t a, u8 v)
{
	*(volatile u8 *)a = v;
}
static inline void w16(uintptr_t a, u16 v)
{
	*(volatile u16 *)a = v;
}
static inline void w32(uintptr_t a, u32 v)
{
	*(volatile u32 *)a = v;
}
/* 64-bit fields as two 32-bit writes, low first (4.1.3.1). */
static inline void w64(uintptr_t a, u64 v)
{
	w32(a, (u32)v);
	w32(a + 4, (u32)(v >> 32));
}

/* Where a function's structures are: COMMON (1), NOTIFY (2, with its multiplier) and DEVICE
 * (4), 0 where absent. */
struct vio_caps {
	uintptr_t common, notify, device;
	u32 notify_mult;
};
/* Walk slot's capability list (PCI 3.0 6.7) for them: true if COMMON and NOTIFY are there. */
bool vio_find(u8 slot, struct vio_caps *c);

#endif
