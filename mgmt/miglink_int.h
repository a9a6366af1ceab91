/* The link's streams, shared by mgmt/miglink.c (the transport) and mgmt/miglink_test.c (the
 * miglink-test command). */
#ifndef KEEL_MIGLINK_INT_H
#define KEEL_MIGLINK_INT_H

#include "mgmt/miglink_wire.h"

#define ML_STREAMS  4	       /* streams open at once */
#define ML_WINDOW   64	       /* frames sent and not yet acknowledged */
#define ML_RXQ	    32	       /* whole messages received and not yet taken */
#define ML_RTO_MIN  50000      /* us: the first retransmission timeout */
#define ML_RTO_MAX  1000000    /* us: backoff doubles up to this */
#define ML_TRIES    10	       /* timeouts in a row with no frame from the peer: it is gone */
#define ML_KEEPLIVE 500000     /* us: an ACK at least this often on an open stream */
#define ML_DEAD	    8000000ull /* us: no valid frame from the peer this long: it is gone */

enum ml_state { ML_FREE, ML_CONNECTING, ML_OPEN, ML_FAILED };

/* One sent fragment, kept until acknowledged (slot seq % ML_WINDOW). */
struct ml_slot {
	u16 len;
	u8 flags;
	u8 data[ML_PAYLOAD_MAX];
};

struct miglink {
	enum ml_state state;
	bool outgoing, test, accepted, confirmed, welcome_due, ack_due;
	char peer[ML_NAME];
	u8 peer_mac[6];
	u32 id;
	u64 nonce_c, nonce_r; /* the connector's and the responder's */
	/* sending: base <= sent <= next */
	u32 base, sent, next, tries;
	u64 rto, deadline, last_tx, last_rx;
	struct ml_slot tx[ML_WINDOW];
	/* receiving */
	u32 expect;
	struct ml_reasm ra;
	u32 rx_head, rx_count, rx_len[ML_RXQ];
	u8 rxq[ML_RXQ][MIGLINK_MSG_MAX];
	const char *err;
	struct miglink_stats st;
	/* miglink-test's responder */
	u64 test_total, test_got;
	struct sha256 test_sum;
};

#define ML_TEST_MAGIC  0x4b4c5431u /* "KLT1": miglink-test's first message, then the count */
#define ML_TEST_ANSWER (8 + SHA256_LEN)

/* Big-endian u64 at p. */
static inline u64 ml_get64(const u8 *p)
{
	u64 v = 0;
	for (u32 i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void ml_put64(u8 *p, u64 v)
{
	for (u32 i = 0; i < 8; i++)
		p[i] = (u8)(v >> (56 - 8 * i));
}

/* Open a stream; test: one of miglink-test's. */
struct miglink *ml_connect(const char *peer, bool test, const char **why);

#endif
