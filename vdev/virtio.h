/* virtio 1.x over PCI (virtio 1.2, 4.1), written once for every virtio device keel serves.
 *
 * vdev/virtio.c is the transport: one PCI function per device (vdev/vpci.h), vendor 0x1af4,
 * device 0x1040 + the virtio device ID, with the COMMON, NOTIFY, ISR, DEVICE and PCI_CFG
 * capabilities in a 64-bit memory BAR and MSI-X in another. It negotiates features (it adds
 * VIRTIO_F_VERSION_1, VIRTIO_F_RING_EVENT_IDX and VIRTIO_F_RING_INDIRECT_DESC to the device's
 * own), keeps each queue's addresses and indices, and interrupts the driver through MSI-X or
 * INTx. vdev/virtq.c walks split virtqueues (2.7) for the devices, checking every index,
 * length and address the guest gives; a guest that lies gets its device marked DEVICE_NEEDS_RESET
 * (2.1.2) with a log line, and the device does nothing more until the driver resets it.
 *
 * A device kind (virtio-blk, -net, -console, -rng) is one file defining a struct virtio_kind and
 * one line in VIRTIO_KINDS (vdev/virtio_kinds.h). At a VM's attach the transport asks each kind
 * how many instances the VM has (from vm->hw), and gives each its own PCI function, in the
 * table's order. Everything a kind's hooks do runs with the VM's device lock held; a kind that
 * acts outside a guest access (a frame from a switch, console input) takes it (dev_lock). */
#ifndef KEEL_VIRTIO_H
#define KEEL_VIRTIO_H

#include "lib/types.h"
#include "vdev/vpci.h"

/* Device IDs (5) and feature bits (6) keel uses. */
enum { VIRTIO_ID_NET = 1, VIRTIO_ID_BLOCK = 2, VIRTIO_ID_CONSOLE = 3, VIRTIO_ID_RNG = 4 };
#define VIRTIO_F_INDIRECT_DESC BIT(28)
#define VIRTIO_F_EVENT_IDX     BIT(29)
#define VIRTIO_F_VERSION_1     BIT(32)

/* Device status bits (2.1). */
#define VIRTIO_S_ACKNOWLEDGE 1
#define VIRTIO_S_DRIVER	     2
#define VIRTIO_S_DRIVER_OK   4
#define VIRTIO_S_FEATURES_OK 8
#define VIRTIO_S_NEEDS_RESET 64
#define VIRTIO_S_FAILED	     128

#define VIRTIO_QUEUES_MAX 8   /* queues per device */
#define VIRTQ_SIZE_MAX	  256 /* entries per queue, a power of two */
#define VIRTQ_SEGS_MAX	  256 /* descriptors in one chain (at most the queue's size, 2.7.5.3.1) */
#define VIRTIO_NO_VECTOR  0xffff

/* One queue as the driver set it up (4.1.4.3) and where the device stands in it. */
struct virtq {
	u16 size;	       /* entries, a power of two (the driver may lower it) */
	u16 msix_vector;       /* VIRTIO_NO_VECTOR: none */
	bool enabled;	       /* queue_enable written 1 */
	u64 desc, avail, used; /* guest-physical addresses of the three parts */
	u16 last_avail;	       /* the next avail ring entry the device takes */
	u16 used_idx;	       /* the used ring's idx as the device last wrote it */
	u16 signalled;	       /* used_idx at the last interrupt (EVENT_IDX) */
};

/* A descriptor chain taken from a queue: its readable segments then its writable ones, with
 * their guest-physical addresses already checked to be RAM of the VM. */
struct virtq_seg {
	u64 gpa;
	u32 len;
};
struct virtq_chain {
	u16 head;	     /* the head descriptor's index, to give back in the used ring */
	u16 nout, nin;	     /* readable segments, then writable ones */
	u32 out_len, in_len; /* bytes in each part */
	struct virtq_seg seg[VIRTQ_SEGS_MAX];
};

struct virtio_dev;

/* A kind of virtio device: its identity, queues and hooks. */
struct virtio_kind {
	const char *name; /* "virtio-blk": log lines say "vm NAME: virtio-blk 0: ..." */
	u16 id;		  /* VIRTIO_ID_* */
	u32 class_code;	  /* PCI class, subclass, interface: 0xCCSSPP */
	u16 nqueues;	  /* queues it offers */
	u16 queue_size;	  /* their maximum size */
	u32 state_size;	  /* bytes of its own state (d->state), zeroed at attach */
	u32 config_size;  /* bytes of its device-specific configuration (d->config) */
	/* How many of this kind the VM has (from vm->hw). */
	u32 (*count)(const struct vm *vm);
	/* Once, at the VM's attach: set d->features (its own bits), fill d->config, ask for
	 * timers. index is its number among the VM's devices of this kind (vda is 0). False
	 * (logged) if it cannot be set up: the VM is not started. */
	bool (*init)(struct virtio_dev *d, u32 index);
	/* Back to the state before the driver found it: the driver wrote 0 to device_status, or
	 * the VM was reset. What outlives a reset (a disk's contents) stays. */
	void (*reset)(struct virtio_dev *d);
	/* The driver wrote len bytes at off in d->config (after the transport stored them). */
	void (*config_write)(struct virtio_dev *d, u32 off, u32 len);
	/* The driver notified queue q (enabled, DRIVER_OK set, the device not broken). */
	void (*notify)(struct virtio_dev *d, u16 q);
	/* The VM is destroyed: let go of what the kind holds (a disk's copy, a switch port).
	 * NULL: nothing. */
	void (*free)(struct virtio_dev *d);
	/* Its own state in the VM's record (vdev/virtio_rec.c), rec_size bytes after the
	 * transport's part; 0 and NULLs: none. rec_save fills them; rec_check says why they
	 * could not be the device's (NULL: they could); rec_load takes checked ones, after the
	 * transport's registers, and drives no interrupt (a kind with no bytes may have one too:
	 * virtio-net's arms a timer). */
	u32 rec_size;
	void (*rec_save)(const struct virtio_dev *d, void *p);
	const char *(*rec_check)(const struct virtio_dev *d, const void *p);
	void (*rec_load)(struct virtio_dev *d, const void *p);
};

/* Bytes of all kinds' own records in one VM at most (the console's; one per VM). */
#define VIRTIO_KIND_REC_MAX 1432

/* One virtio device of a VM: the transport's registers, its queues, the kind's state. */
struct virtio_dev {
	struct pci_func pci;
	const struct virtio_kind *kind;
	struct vm *vm;
	u32 index;	     /* among the VM's devices of its kind */
	u64 features;	     /* offered: the kind's bits and the transport's */
	u64 driver_features; /* what the driver accepted */
	u32 dfselect, gfselect;
	u16 queue_select;
	u16 config_vector;
	u8 status;
	u8 isr; /* bit 0: a queue interrupt, bit 1: a configuration change */
	u8 config_gen;
	bool broken; /* DEVICE_NEEDS_RESET: the device ignores its queues until reset */
	struct virtq vq[VIRTIO_QUEUES_MAX];
	u8 config[64]; /* the kind's configuration structure, little-endian */
	void *state;   /* the kind's own, state_size bytes */
};

/* vm's device number index of this kind, NULL if it has none: for a kind that acts outside
 * a guest access (console input), under the device lock. */
struct virtio_dev *virtio_find(struct vm *vm, const struct virtio_kind *kind, u32 index);
/* The device works (DRIVER_OK, not broken) and queue q is enabled. */
bool virtio_queue_ready(const struct virtio_dev *d, u16 q);
/* Mark the device DEVICE_NEEDS_RESET with a configuration-change interrupt, and log once why
 * ("vm NAME: virtio-blk 0: ..."): a guest broke the rules. */
void virtio_fail(struct virtio_dev *d, const char *fmt, ...) __printf(2, 3);
/* The configuration structure changed (a link came up): bump the generation, interrupt. */
void virtio_config_changed(struct virtio_dev *d);

/* ---- split virtqueues (vdev/virtq.c) ---- */

/* Take the next chain the driver made available on queue q: 1 and *c filled, 0 if there is
 * none, -1 if the driver lied (a bad index, a loop, a segment outside RAM, a writable segment
 * before a readable one, more than VIRTQ_SEGS_MAX...): the device is then marked broken. */
int virtq_pop(struct virtio_dev *d, u16 q, struct virtq_chain *c);
/* Copy len bytes from the chain's readable part at off into buf: false if it is shorter. */
bool virtq_read(struct virtio_dev *d, const struct virtq_chain *c, u32 off, void *buf, u32 len);
/* Copy len bytes into the chain's writable part at off: false if it is shorter. */
bool virtq_write(struct virtio_dev *d, const struct virtq_chain *c, u32 off, const void *buf,
		 u32 len);
/* Give the chain back in the used ring with written bytes. */
void virtq_push(struct virtio_dev *d, u16 q, const struct virtq_chain *c, u32 written);
/* virtq_push in two steps, for chains the driver must see together (a frame over several
 * receive buffers): fill writes the used element, flush moves the used idx past all filled. */
void virtq_fill(struct virtio_dev *d, u16 q, const struct virtq_chain *c, u32 written);
void virtq_flush(struct virtio_dev *d, u16 q);
/* Put back the last n chains taken from q and not given back, to be taken again: a device
 * that counted what is there before it commits. avail_event stays where the last virtq_pop
 * left it. */
void virtq_unpop(struct virtio_dev *d, u16 q, u16 n);
/* Interrupt the driver for what was pushed on q since the last time, if it wants one
 * (VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX: 2.7.7, 2.7.10). */
void virtq_signal(struct virtio_dev *d, u16 q);
/* The driver has made a chain available on q that the device has not taken. */
bool virtq_has_avail(struct virtio_dev *d, u16 q);

#endif
