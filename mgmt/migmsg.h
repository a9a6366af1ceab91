/* The messages of a live migration (README "Live migration"), carried one per miglink message
 * (mgmt/miglink.h: ordered, whole, authenticated). Each starts with a 16-byte header; all
 * little-endian. The source sends HELLO, waits for ACCEPT (or REFUSE), sends PAGEs round after
 * round, then STATE pieces (a snapshot file without pages: HEADER, VCPUS, DEVICES, END, as
 * mgmt/snapfile.h, checked as vm-import checks a file) and COMMIT; the destination starts the
 * VM only then and answers DONE (or REFUSE). Either side may send ABORT with a reason. */
#ifndef KEEL_MIGMSG_H
#define KEEL_MIGMSG_H

#include "lib/types.h"
#include "mgmt/snapfile.h"

#define MIGM_MAGIC     0x47494d4bu /* "KMIG" as bytes */
#define MIGM_VERSION   1
#define MIGM_REASON    160	    /* bytes of a REFUSE or ABORT reason, with the NUL */
#define MIGM_CHUNK     4096	    /* bytes of the state file per STATE message */
#define MIGM_STATE_MAX (4ull << 20) /* the largest state file a destination takes */

enum migm_type {
	MIGM_HELLO = 1,	 /* struct snapf_header: the VM to build */
	MIGM_ACCEPT = 2, /* nothing */
	MIGM_REFUSE = 3, /* a reason */
	MIGM_PAGE = 4,	 /* u64 guest-physical address, 4096 bytes */
	MIGM_STATE = 5,	 /* the next piece of the state file */
	MIGM_COMMIT = 6, /* struct migm_commit */
	MIGM_DONE = 7,	 /* nothing: the VM runs on the destination */
	MIGM_ABORT = 8	 /* a reason: the source gave up; the destination frees the VM */
};

struct migm_hdr {
	u32 magic;   /* MIGM_MAGIC */
	u16 type;    /* enum migm_type */
	u16 version; /* MIGM_VERSION */
	u32 len;     /* payload bytes after this header */
	u32 pad;
};
_Static_assert(sizeof(struct migm_hdr) == 16, "message header");

struct migm_commit {
	u64 state_len; /* bytes of the state file sent */
	u64 pages;     /* PAGE messages sent */
};

/* Write a message header into buf. */
static inline void migm_put(void *buf, u16 type, u32 len)
{
	struct migm_hdr h = {MIGM_MAGIC, type, MIGM_VERSION, len, 0};
	__builtin_memcpy(buf, &h, sizeof(h));
}

/* The header of a message of n bytes, checked: its type, or 0 if it is malformed. */
static inline u16 migm_check(const void *buf, u64 n, u32 *len)
{
	struct migm_hdr h;
	if (n < sizeof(h))
		return 0;
	__builtin_memcpy(&h, buf, sizeof(h));
	if (h.magic != MIGM_MAGIC || h.version != MIGM_VERSION || h.len != n - sizeof(h) ||
	    !h.type || h.type > MIGM_ABORT)
		return 0;
	*len = h.len;
	return h.type;
}

#endif
