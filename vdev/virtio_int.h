/* Inside the virtio transport (vdev/virtio*.c, vdev/virtq.c): the VM's list of virtio devices,
 * the layout of the registers' BAR, and the calls its files make of each other. */
#ifndef KEEL_VIRTIO_INT_H
#define KEEL_VIRTIO_INT_H

#include "vdev/virtio.h"

#define VIRTIO_DEVS_MAX 16 /* virtio devices in one VM */

/* The transport's state in a VM (its vdev_ops state): its devices, in VIRTIO_KINDS order. */
struct virtio_devs {
	u32 n;
	struct virtio_dev *d[VIRTIO_DEVS_MAX];
	u8 *rec; /* where save and load build the record's payload (virtio_rec.c) */
	u32 rec_size;
};

/* BAR 4 (64-bit, 16 KiB): one 4 KiB page per structure (virtio 1.2 4.1.4). */
#define VIRTIO_BAR	   4
#define VIRTIO_BAR_SIZE	   0x4000
#define VIRTIO_COMMON	   0x0000
#define VIRTIO_COMMON_LEN  0x38 /* 4.1.4.3: up to queue_device */
#define VIRTIO_ISR	   0x1000
#define VIRTIO_DEVICE	   0x2000
#define VIRTIO_NOTIFY	   0x3000
#define VIRTIO_NOTIFY_MULT 4 /* notify_off_multiplier: queue i at NOTIFY + 4 * i */
/* BAR 1 (32-bit, 4 KiB): the MSI-X table and its pending bits. */
#define VIRTIO_MSIX_BAR	 1
#define VIRTIO_MSIX_SIZE 0x1000
#define VIRTIO_MSIX_PBA	 0x800

/* The features the transport offers on top of the kind's (6). */
#define VIRTIO_F_TRANSPORT (VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC)

/* ---- vdev/virtio_common.c: the common configuration structure (4.1.4.3) ---- */
u64 virtio_common_read(struct virtio_dev *d, u32 off, u8 size);
void virtio_common_write(struct virtio_dev *d, u32 off, u8 size, u64 val);
/* Back to the state before the driver found it: status 0, queues off (4.1.4.3.1). */
void virtio_reset(struct virtio_dev *d);

/* ---- vdev/virtio.c ---- */
/* Interrupt the driver for vector (a queue's or the configuration's): the MSI-X vector if
 * MSI-X is on, else isr_bit in ISR and INTx (4.1.5). */
void virtio_irq(struct virtio_dev *d, u16 vector, u8 isr_bit);

/* ---- vdev/virtq.c ---- */
/* Queue q's rings as the driver set them are aligned and inside RAM (2.7): false (with
 * virtio_fail) if not. */
bool virtq_rings_ok(struct virtio_dev *d, u16 q);

/* ---- vdev/virtio_rec.c: state records ---- */
/* The payload bytes of the record of these devices. */
u32 virtio_rec_size(const struct virtio_devs *s);
u64 virtio_save(const void *dev, u64 now, void *buf, u64 len);
const char *virtio_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

#endif
