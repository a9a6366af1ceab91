/* The frames of keel's link between keels (mgmt/miglink.c), as bytes on the wire: pure C,
 * host-tested. An Ethernet II frame (IEEE 802.3 section 3.1.1) of EtherType 0x88B5 (IEEE 802
 * "local experimental" EtherType 1), then a 28-byte header, the payload, and the first 16 bytes
 * of HMAC-SHA-256 (RFC 2104; truncation as RFC 2104 section 5 allows) over everything before
 * it: the Ethernet addresses, the header (stream id, nonce, sequence and acknowledgement
 * numbers) and the payload. Numbers are big-endian (network order). */
#ifndef KEEL_MIGLINK_WIRE_H
#define KEEL_MIGLINK_WIRE_H

#include "lib/sha256.h"
#include "mgmt/miglink.h"

#define ML_ETHERTYPE   0x88B5
#define ML_VERSION     1
#define ML_FRAME_MAX   1514 /* MTU 1500 and the 14-byte Ethernet header, no FCS */
#define ML_ETH	       14
#define ML_HDR	       28
#define ML_MAC	       16 /* HMAC-SHA-256 truncated to 128 bits */
#define ML_PAYLOAD_MAX (ML_FRAME_MAX - ML_ETH - ML_HDR - ML_MAC) /* 1456 */
#define ML_NAME	       32 /* a host name in a HELLO, NUL-padded */

enum ml_type {
	ML_HELLO = 1, /* broadcast: wanted host, sender's host; nonce: the connector's */
	ML_WELCOME,   /* the answer: nonce: the responder's; payload: the connector's nonce */
	ML_DATA,      /* a fragment of a message; nonce: the two XORed, from here on */
	ML_ACK,	      /* only the acknowledgement (also sent as a keepalive) */
	ML_CLOSE,     /* the sender closed the stream */
};

#define ML_F_END   1 /* the last fragment of a message */
#define ML_F_TEST  2 /* a stream of miglink-test (mgmt/miglink_test.c) */
#define ML_F_PROBE 4 /* the sender wants an ACK back at once (liveness, mgmt/miglink.c) */

struct ml_hdr {
	u8 dst[6], src[6];
	u8 type, flags;
	u16 len; /* payload bytes */
	u32 stream;
	u64 nonce;
	u32 seq; /* DATA: this fragment's number in the sender's sequence */
	u32 ack; /* cumulative: the next sequence number this sender expects */
	u16 win; /* frames this sender can still take in beyond ack (its free receive slots) */
};

enum ml_status { ML_OK, ML_NOT_OURS, ML_MALFORMED, ML_BAD_MAC };

/* Encode h and its payload (h->len bytes) with the MAC into frame (ML_FRAME_MAX bytes): the
 * frame's length. */
u32 ml_encode(const struct hmac_sha256 *key, const struct ml_hdr *h, const void *payload,
	      u8 *frame);
/* Decode a received frame: the header and payload (pointing into frame) even when the MAC
 * fails (ML_BAD_MAC), so a refusal can name the stream; ML_NOT_OURS: another EtherType or
 * version; ML_MALFORMED: lengths that do not add up. key NULL: every MAC fails. */
enum ml_status ml_decode(const struct hmac_sha256 *key, const u8 *frame, u32 len, struct ml_hdr *h,
			 const u8 **payload);

/* Sequence arithmetic modulo 2^32 (as TCP's, RFC 9293 section 3.4): a comes after b. */
static inline bool ml_after(u32 a, u32 b)
{
	return (s32)(a - b) > 0;
}
/* Frames a message of len bytes takes (an empty message still takes one). */
static inline u32 ml_frags(u32 len)
{
	return len ? (len + ML_PAYLOAD_MAX - 1) / ML_PAYLOAD_MAX : 1;
}
/* A cumulative ack names new progress: base < ack <= next. */
static inline bool ml_ack_ok(u32 ack, u32 base, u32 next)
{
	return ml_after(ack, base) && !ml_after(ack, next);
}

#define ML_WINDOW 64 /* frames in flight, and each side's receive slots */

/* One fragment, sent and kept until acknowledged, or received and kept until its message is
 * taken: slot seq % ML_WINDOW of a ring. */
struct ml_slot {
	u16 len;
	u8 flags;
	u8 data[ML_PAYLOAD_MAX];
};

/* In a ring's slots for sequence numbers [take, have): the frames of the first whole message
 * (0 if its last fragment is not in yet) and its bytes into *len. */
u32 ml_msg_frames(const struct ml_slot *ring, u32 take, u32 have, u32 *len);

#endif
