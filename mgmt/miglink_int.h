/* The link's streams, shared by mgmt/miglink.c (the transport) and mgmt/miglink_test.c (the
 * miglink-test command). */
#ifndef KEEL_MIGLINK_INT_H
#define KEEL_MIGLINK_INT_H

#include "mgmt/miglink_wire.h"

#define ML_STREAMS  4	    /* streams open at once */
#define ML_RTO_MIN  50000   /* us: the first retransmission timeout */
#define ML_RTO_MAX  1000000 /* us: backoff doubles up to this */
#define ML_TRIES    10	    /* HELLOs with no WELCOME: no keel of that name answers */
#define ML_KEEPLIVE 500000  /* us: an ACK this often at least, a probe this often in silence */
/* The peer is gone only after both: this long of our own clock with no valid frame from it,
 * and this many of our probes and retransmission rounds in a row unanswered. */
#define ML_DEAD	  8000000ull /* us */
#define ML_PROBES 16

enum ml_state { ML_FREE, ML_CONNECTING, ML_OPEN, ML_FAILED };

struct miglink {
	enum ml_state state;
	bool outgoing, test, accepted, confirmed, welcome_due, ack_due, closed;
	char peer[ML_NAME];
	u8 peer_mac[6];
	u32 id;
	u64 nonce_c, nonce_r; /* the connector's and the responder's */
	/* sending: base <= sent <= next; the peer takes frames before its right edge, ack + win */
	u32 base, sent, next, right, tries;
	u32 unanswered; /* probes and retransmission rounds since the peer's last valid frame */
	u64 rto, deadline, last_tx, last_rx, probe_at;
	struct ml_slot tx[ML_WINDOW];
	/* receiving: frames [take, expect) are in, their messages not yet taken */
	u32 take, expect, msg_len;
	struct ml_slot rx[ML_WINDOW];
	const char *err;
	struct miglink_stats st;
	u32 drop_every, drop_count, top; /* drop=N: lose every N-th new DATA frame (< top: sent) */
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
