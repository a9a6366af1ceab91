/* keel's Ethernet switches: learning L2 switches between VMs' NICs (README "Networks").
 *
 * A switch is made by name on first use (net=SW on a VM line). Each NIC is a port: a bounded
 * queue of frames waiting for its owner, and a receive function the switch calls when frames
 * arrive in an empty queue. A frame sent on a port goes, by its destination MAC, to the one
 * port that address was last seen on (learned in the last VSW_AGEING_S seconds), or to every
 * other port when it is broadcast, multicast or unknown: never back to the sender. A port whose
 * queue is full (in frames or in bytes) loses the frame and counts it, so no VM can take more
 * of keel's memory or hold up another port.
 *
 * Locks: the switch's own spin lock is a leaf, held only to learn, look up and copy frames in
 * or out of queues. A sender (holding its own VM's device lock) never takes another VM's: the
 * receive functions run after the switch lock is dropped, and only arm a timer of their VM
 * (vcpu_timer_set), whose callback takes that VM's device lock on its own CPU and drains. A
 * port stays on its switch for the rest of the run, as its VM's devices do. */
#ifndef KEEL_VSWITCH_H
#define KEEL_VSWITCH_H

#include "lib/types.h"
#include "kernel/spinlock.h"

#define VSW_FRAME_MIN	 14		   /* an Ethernet header: anything shorter is a runt */
#define VSW_FRAME_MAX	 1514		   /* MTU 1500 and the Ethernet header, no FCS */
#define VSW_GSO_MAX	 (14 + 40 + 65535) /* a TCP segment to be cut: the largest IP packet */
#define VSW_MTU		 1500		   /* what NICs tell their drivers */
#define VSW_QUEUE_FRAMES 512		   /* frames one port's queue holds at most */
#define VSW_QUEUE_BYTES	 (512 * KiB)	   /* its ring: frames with 16 bytes each of metadata */
#define VSW_PORTS_MAX	 32
#define VSW_MACS_MAX	 64 /* learned addresses per switch; the oldest gives way */
#define VSW_AGEING_S	 300
#define VSW_SWITCHES_MAX 16
#define VSW_NAME_MAX	 16 /* a switch's name with its NUL (VM_SWITCH_MAX) */

/* GSO types (virtio 1.2 5.1.6: gso_type): a TCP segment larger than the MTU, to be cut into
 * segments of gso_size bytes of payload (vm/vswitch_gso.c). */
#define VSW_GSO_TCPV4 1
#define VSW_GSO_TCPV6 4

/* What travels with a frame besides its bytes: a checksum the sender left for the network to
 * fill, from csum_start to the end, stored at csum_start + csum_offset (virtio 1.2 5.1.6.2);
 * for a frame to be segmented, its GSO type, payload per segment and (found by the switch) the
 * length of its Ethernet, IP and TCP headers. */
struct vsw_meta {
	bool needs_csum;
	u16 csum_start, csum_offset;
	u8 gso_type; /* 0: a plain frame, VSW_FRAME_MAX bytes at most */
	u16 gso_size, hdr_len;
};

/* A ring of frames (power-of-two bytes, given by the port's owner), each an 8-byte record
 * header and its bytes rounded up to 8: head and tail count bytes and never wrap back. */
struct vsw_queue {
	u8 *buf;
	u32 size;
	u32 head, tail; /* next byte to take, next byte to fill */
	u32 frames;
};

struct vswitch;

struct vsw_port {
	struct vswitch *sw;
	u32 index;     /* in sw->port[] */
	char name[24]; /* for counters and logs: "VM.N", the VM's NIC N */
	/* Frames arrived while the queue was empty: the owner will take them (vsw_recv). Called
	 * on the sender's CPU, with no switch lock and no device lock but the sender's own. */
	void (*receive)(struct vsw_port *p);
	void *owner;
	/* The GSO types (bit 1 << VSW_GSO_*) the owner takes whole, set by it at any time: a
	 * frame of another type reaches it cut into segments. */
	volatile u8 gso;
	struct vsw_queue q;
	/* Counters (read without the lock for display): frames sent into the switch, frames
	 * queued for the owner, frames lost at its full queue, frames it sent that were refused
	 * (a runt, an oversize frame, a checksum offset outside the frame); of those sent, the
	 * GSO frames (segmentation offloads). */
	u64 tx, rx, tx_bytes, rx_bytes, drops, errors, tx_gso;
};

struct vswitch {
	char name[VSW_NAME_MAX];
	struct spinlock lock;
	u32 nports;
	struct vsw_port *port[VSW_PORTS_MAX]; /* NULL: let go (vsw_detach) */
	volatile u32 telling;		      /* senders calling receive() outside the lock */
	u8 seg[VSW_FRAME_MAX];		      /* a segment being cut, under the lock */
	struct vsw_mac {
		u8 addr[6];
		u8 port; /* index in port[] */
		bool used;
		u64 seen; /* vclock_now() when last a source */
	} mac[VSW_MACS_MAX];
};

/* The switch with this name, made on first use: NULL (logged) if there are too many. */
struct vswitch *vswitch_get(const char *name);
/* The switch with this name if some VM made it, NULL otherwise (nothing is made). */
struct vswitch *vswitch_find(const char *name);
/* An empty switch with this name (vswitch_get's, and unit tests' own). */
void vswitch_init(struct vswitch *sw, const char *name);
/* Set up a port over a ring of size bytes (a power of two, a multiple of 8) and put it on sw:
 * false (logged) if sw has VSW_PORTS_MAX ports. */
bool vsw_attach(struct vswitch *sw, struct vsw_port *p, const char *name, u8 *ring, u32 size,
		void (*receive)(struct vsw_port *p), void *owner);
/* Send a frame of len bytes from port p: the number of ports it was queued on. A runt or
 * oversize frame, or a checksum request outside it, is refused and counted. */
u32 vsw_send(struct vsw_port *p, const struct vsw_meta *m, const u8 *frame, u32 len);
/* Take the oldest frame queued for p into buf (VSW_FRAME_MAX bytes, VSW_GSO_MAX if p takes GSO
 * frames): its length, 0 if none. */
u32 vsw_recv(struct vsw_port *p, struct vsw_meta *m, u8 *buf);
/* The length of the oldest frame queued for p, 0 if none; it stays there. Only p's owner
 * takes frames, so vsw_recv then takes this one. */
u32 vsw_peek(struct vsw_port *p);
/* Frames are queued for p. */
bool vsw_pending(struct vsw_port *p);
/* Drop every frame queued for p (its device was reset). */
void vsw_flush(struct vsw_port *p);
/* Take p off its switch for good (vm-destroy): returns once no other CPU can reach it. */
void vsw_detach(struct vsw_port *p);
/* Fill a checksum the sender left (m->needs_csum) into the frame: false if the offsets do not
 * fit in len bytes. RFC 1071's sum from csum_start to the end, its complement stored. */
bool vsw_csum_fill(u8 *frame, u32 len, const struct vsw_meta *m);
/* A GSO frame's headers (m->gso_type, gso_size, the checksum request) describe TCP over IPv4
 * or IPv6 with payload and segments the MTU holds: sets m->hdr_len; false if they do not. */
bool vsw_gso_parse(struct vsw_meta *m, const u8 *f, u32 len);
/* Cut segment i (from 0) of a parsed GSO frame into out (VSW_FRAME_MAX bytes), its checksums
 * filled: its length, 0 past the last. */
u32 vsw_gso_segment(const struct vsw_meta *m, const u8 *f, u32 len, u32 i, u8 *out);
/* Log every switch's ports and their counters, each line opening with prefix. */
void vswitch_show(const char *prefix);

#endif
