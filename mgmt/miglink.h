/* keel's own transport between two keels, for live migration (issue 17; README "Live
 * migration"): a reliable, ordered, authenticated stream of messages over raw Ethernet on the
 * host NIC (drivers/hnic.h, shared with the uplink of vm/uplink.h), with sequence numbers,
 * acknowledgements, retransmission, and a keyed MAC on every frame (the key both keels were
 * given with migrate_key=). Frames that fail the MAC, come from an unknown stream or are not
 * for this host are dropped and logged (rate-limited).
 *
 * Everything runs on CPU 0: the migration engine (mgmt/migrate.c) from commands and from
 * CPU 0's poll, the link from miglink_poll on the same poll. Nothing here blocks: a send that
 * finds the window full returns false and the engine tries again at its next poll. */
#ifndef KEEL_MIGLINK_H
#define KEEL_MIGLINK_H

#include "lib/types.h"

#define MIGLINK_MSG_MAX (4096 + 256) /* one message: a page of RAM and its header fit */

struct miglink;

/* At start, after the uplink (kernel/main.c): this keel's host= name, the key (NULL: no
 * migrate_key=, every stream refused), and whether it accepts incoming streams (incoming=yes).
 * Takes the first host NIC if the uplink did not (a keel with incoming=yes and no VMs). */
void miglink_start(const char *host, const u8 *key, u32 keylen, bool incoming);
/* CPU 0's poll: frames in, acknowledgements and retransmissions out, timeouts judged. */
void miglink_poll(void);
/* CPU 0 idling: us until miglink_poll wants to run again (0: no stream open). */
u64 miglink_poll_again(void);

/* Open a stream to the keel started with host=peer: NULL with *why set (no NIC, no key, too
 * many streams). The peer is found and the stream set up as miglink_poll runs: until then
 * sends queue; if the peer never answers, the link fails (miglink_error). */
struct miglink *miglink_connect(const char *peer, const char **why);
/* An incoming stream this keel accepted since the last call (incoming=yes), or NULL. */
struct miglink *miglink_accept(void);

/* Queue one message of len <= MIGLINK_MSG_MAX bytes (copied): false when the send window is
 * full (try again after the next poll) or the link failed. Messages arrive in order, each
 * once, whole. */
bool miglink_send(struct miglink *l, const void *msg, u32 len);
/* The next message received, in order, into buf (cap >= MIGLINK_MSG_MAX): its length, 0 if
 * none yet, -1 if the link failed. */
int miglink_recv(struct miglink *l, void *buf, u32 cap);
/* True when everything sent was acknowledged by the peer. */
bool miglink_idle(const struct miglink *l);
/* Why the link failed (the peer stopped answering, was refused, ...), or NULL while it works. */
const char *miglink_error(const struct miglink *l);
/* Bytes sent and received, frames retransmitted, for query-migrate and make bench. */
struct miglink_stats {
	u64 tx_bytes, rx_bytes, retransmits, dropped;
};
void miglink_stats(const struct miglink *l, struct miglink_stats *s);
/* Close the stream and free it (a peer still sending gets nothing more). */
void miglink_close(struct miglink *l);

#endif
