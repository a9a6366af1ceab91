/* The host's network cards: drivers for the real machine's NICs (virtio-net-pci, Intel e1000),
 * found on the host's PCI (drivers/hpci.h). Each sends a frame and hands over received frames
 * one at a time. No interrupts: the owner polls (vm/uplink.c, from CPU 0's scheduler loop).
 * Not shared: one owner calls a NIC at a time (the uplink holds its lock). */
#ifndef KEEL_HNIC_H
#define KEEL_HNIC_H

#include "drivers/hpci.h"

#define HNIC_FRAME_MAX 1514 /* an Ethernet frame without its FCS, MTU 1500 */
#define HNIC_BUF       2048 /* each receive buffer */

struct hnic;

struct hnic_ops {
	const char *model;
	bool (*match)(const struct hpci_dev *d);
	bool (*probe)(struct hnic *n); /* false (logged): this NIC is left alone */
	/* Queue one frame to send: false if the transmit ring is full (the frame is lost). */
	bool (*send)(struct hnic *n, const void *frame, u32 len);
	/* The next received frame copied into buf (HNIC_FRAME_MAX bytes): its length, 0 if none. */
	u32 (*recv)(struct hnic *n, void *buf);
};

struct hnic {
	const struct hnic_ops *ops;
	struct hpci_dev *pci;
	u8 mac[6];
	void *priv; /* the driver's rings and registers */
	u64 tx, rx, tx_full;
};

extern const struct hnic_ops hnic_virtio_ops, hnic_e1000_ops;

/* The first host NIC a driver takes (probed now, logged), NULL if none. */
struct hnic *hnic_first(void);

#endif
