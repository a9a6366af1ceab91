/* virtio-blk (virtio 1.2, 5.2): the device's state and its request layout, for vdev/vblk.c and
 * its unit test. */
#ifndef KEEL_VBLK_H
#define KEEL_VBLK_H

#include "vdev/vdisk.h"
#include "vdev/virtio.h"

/* Request types and status values (5.2.6). */
enum {
	VBLK_T_IN = 0,
	VBLK_T_OUT = 1,
	VBLK_T_FLUSH = 4,
	VBLK_T_GET_ID = 8,
	VBLK_T_DISCARD = 11,
	VBLK_T_WRITE_ZEROES = 13,
};
enum { VBLK_S_OK = 0, VBLK_S_IOERR = 1, VBLK_S_UNSUPP = 2 };

#define VBLK_ID_LEN	20 /* bytes of GET_ID's answer */
#define VBLK_RANGES_MAX 32 /* discard or write-zeroes ranges in one request */

/* One virtio-blk device's own state (d->state). */
struct vblk {
	struct vdisk disk; /* its contents: the module under the VM's copy-on-write blocks */
	bool ro;	   /* FILE vm=NAME disk ro: VIRTIO_BLK_F_RO, and writes fail */
	bool oom_logged;   /* keel ran out of memory for a write, and said so */
	char id[VBLK_ID_LEN];
	struct virtq_chain chain; /* the request being served (kept off the exit path's stack) */
};

/* Serve one request taken from queue q: its status written and the chain pushed. False if the
 * chain cannot hold a request (no header or status byte): the device is then marked broken
 * (virtio_fail) and nothing is pushed. */
bool vblk_serve(struct virtio_dev *d, u16 q, const struct virtq_chain *c);

#endif
