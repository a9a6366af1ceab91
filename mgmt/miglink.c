/* keel's link between keels (mgmt/miglink.h, README "Live migration"): streams of messages over
 * raw Ethernet on the host NIC, which vm/uplink.c owns and taps for EtherType 0x88B5. A
 * connector broadcasts HELLO naming the host it wants; only a keel with incoming=yes and that
 * host= answers WELCOME. Each side numbers its DATA fragments; acks are cumulative and ride on
 * every frame; a sender keeps ML_WINDOW fragments in flight and on a timeout sends them all
 * again from the oldest (go-back-N), backing off. Every frame carries a truncated
 * HMAC-SHA-256 under migrate_key over its addresses, header and payload
 * (mgmt/miglink_wire.h): the stream id, both sides' random nonces and the sequence numbers are
 * under the MAC, so a frame of another stream, an older stream or an older place in this one
 * is dropped. */
#include "mgmt/miglink_int.h"
#include "drivers/timer.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "vm/entropy.h"
#include "vm/uplink.h"

static struct {
	bool started, incoming, keyed;
	char host[ML_NAME];
	struct hmac_sha256 key;
	struct miglink s[ML_STREAMS];
	u8 frame[ML_FRAME_MAX];
	u8 msg[MIGLINK_MSG_MAX]; /* a test stream's message being taken */
	u64 bad_mac, unknown, log_at, seeds;
	u32 quiet; /* log lines held back since log_at */
} ml;

static const u8 broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* At most one line a second about dropped frames, so a flood cannot flood the log. */
static bool may_log(void)
{
	u64 now = time_us();
	if (ml.log_at && now - ml.log_at < 1000000) {
		ml.quiet++;
		return false;
	}
	if (ml.quiet)
		log_warn("miglink: %u more lines about dropped frames held back", ml.quiet);
	ml.log_at = now;
	ml.quiet = 0;
	return true;
}

/* 64 random bits for stream ids and nonces: the CPU's RDSEED/RDRAND (vm/entropy.h); without
 * them, a hash of the TSC and a counter (unique, not secret: logged once). */
static u64 random64(void)
{
	u64 v;
	if (entropy_read(&v))
		return v;
	if (!ml.seeds++)
		log_warn("miglink: no RDSEED/RDRAND: stream nonces from the TSC (unique, "
			 "guessable)");
	u64 in[2] = {tsc_now(), ml.seeds};
	u8 d[SHA256_LEN];
	sha256(in, sizeof(in), d);
	memcpy(&v, d, sizeof(v));
	return v;
}

/* The nonce of every frame once the stream is open: both sides' random halves. */
static u64 open_nonce(const struct miglink *l)
{
	return l->nonce_c ^ l->nonce_r;
}

/* Build and send one frame of l (the current ack with it): false if the NIC's transmit ring
 * was full. miglink-test's drop=N loses every N-th new DATA frame here on purpose (as if sent;
 * never a retransmission, which a periodic loss could hit each time round). */
static bool emit(struct miglink *l, u8 type, u8 flags, u32 seq, const void *p, u16 len)
{
	struct ml_hdr h = {.type = type,
			   .flags = flags,
			   .len = len,
			   .stream = l->id,
			   .seq = seq,
			   .ack = l->expect,
			   .win = (u16)(ML_WINDOW - (l->expect - l->take))};
	memcpy(h.dst, type == ML_HELLO ? broadcast : l->peer_mac, 6);
	memcpy(h.src, uplink_mac(), 6);
	h.nonce = type == ML_HELLO ? l->nonce_c : type == ML_WELCOME ? l->nonce_r : open_nonce(l);
	if (l->test)
		h.flags |= ML_F_TEST;
	u32 n = ml_encode(&ml.key, &h, p, ml.frame);
	bool lost = false;
	if (type == ML_DATA && !ml_after(l->top, seq)) { /* its first time out: drop=N counts it */
		l->top = seq + 1;
		lost = l->drop_every && ++l->drop_count % l->drop_every == 0;
	}
	if (!lost && !uplink_send_raw(ml.frame, n))
		return false;
	l->last_tx = time_us();
	if (type == ML_DATA || type == ML_ACK || type == ML_CLOSE)
		l->ack_due = false;
	return true;
}

/* The link failed (or the peer closed it: not an error): why, logged once; queued messages
 * can still be taken. */
static void link_fail(struct miglink *l, const char *why)
{
	if (l->state == ML_FAILED)
		return;
	l->state = ML_FAILED;
	l->err = why;
	if (l->closed)
		log_info("miglink: stream %08x with %s: %s", l->id, l->peer, why);
	else
		log_err("miglink: stream %08x with %s: %s", l->id, l->peer[0] ? l->peer : "?", why);
}

/* A free stream, zeroed, or NULL. */
static struct miglink *new_stream(void)
{
	for (u32 i = 0; i < ML_STREAMS; i++) {
		struct miglink *l = &ml.s[i];
		if (l->state == ML_FREE) {
			memset(l, 0, sizeof(*l));
			l->rto = ML_RTO_MIN;
			l->last_rx = time_us();
			return l;
		}
	}
	return NULL;
}

/* The open stream id whose frames carry nonce, or NULL. */
static struct miglink *find(u32 id, u64 nonce, bool hello)
{
	for (u32 i = 0; i < ML_STREAMS; i++) {
		struct miglink *l = &ml.s[i];
		if (l->state == ML_FREE || l->id != id)
			continue;
		if (hello ? l->nonce_c == nonce : l->nonce_r && open_nonce(l) == nonce)
			return l;
	}
	return NULL;
}

/* A NUL-padded name field as a C string (at most ML_NAME - 1 bytes). */
static void name_of(char *dst, const u8 *p)
{
	memcpy(dst, p, ML_NAME);
	dst[ML_NAME - 1] = 0;
}

/* HELLO: a keel wants host; answer only with incoming=yes, that name, and the right key. */
static void on_hello(const struct ml_hdr *h, const u8 *p, enum ml_status st)
{
	char want[ML_NAME], from[ML_NAME];
	if (h->len != 2 * ML_NAME)
		return;
	name_of(want, p);
	name_of(from, p + ML_NAME);
	if (strcmp(want, ml.host) || !ml.host[0])
		return; /* for another keel */
	if (!ml.incoming || !ml.keyed || st != ML_OK) {
		if (st == ML_BAD_MAC)
			ml.bad_mac++;
		if (may_log())
			log_err("miglink: refused a stream from %s: %s", from,
				!ml.incoming ? "this keel has incoming=no"
				: !ml.keyed  ? "this keel has no migrate_key"
					     : "wrong key (the frame's MAC does not check)");
		return;
	}
	struct miglink *l = find(h->stream, h->nonce, true);
	if (!l) {
		if (!(l = new_stream())) {
			if (may_log())
				log_err("miglink: refused a stream from %s: %u streams open", from,
					ML_STREAMS);
			return;
		}
		l->id = h->stream;
		l->nonce_c = h->nonce;
		l->nonce_r = random64();
		l->test = h->flags & ML_F_TEST;
		memcpy(l->peer, from, ML_NAME);
		memcpy(l->peer_mac, h->src, 6);
		l->state = ML_OPEN;
		l->right = ML_WINDOW;
		log_info("miglink: stream %08x from %s%s", l->id, from, l->test ? " (test)" : "");
	}
	l->welcome_due = true; /* again, if the first WELCOME was lost */
}

/* WELCOME: the peer answered our HELLO; from here on frames carry both nonces. */
static void on_welcome(const struct ml_hdr *h, const u8 *p)
{
	struct miglink *l = NULL;
	for (u32 i = 0; i < ML_STREAMS && !l; i++)
		if (ml.s[i].state == ML_CONNECTING && ml.s[i].id == h->stream)
			l = &ml.s[i];
	u64 echo = 0;
	for (u32 i = 0; h->len == 8 && i < 8; i++)
		echo = echo << 8 | p[i];
	if (!l || h->len != 8 || echo != l->nonce_c)
		return;
	l->nonce_r = h->nonce;
	memcpy(l->peer_mac, h->src, 6);
	l->state = ML_OPEN;
	l->confirmed = true;
	l->tries = 0;
	l->last_rx = time_us(); /* the peer's first frame: silence counts from here */
	l->rto = ML_RTO_MIN;
	l->deadline = 0;
	l->right = ML_WINDOW; /* the peer starts with every slot free */
	log_info("miglink: stream %08x to %s open", l->id, l->peer);
}

/* The peer's cumulative ack: fragments before it are done; the timer restarts. */
static void on_ack(struct miglink *l, u32 ack, u64 now)
{
	if (!ml_ack_ok(ack, l->base, l->next))
		return;
	l->base = ack;
	if (ml_after(l->base, l->sent))
		l->sent = l->base;
	l->rto = ML_RTO_MIN;
	l->deadline = now + l->rto;
}

/* A DATA fragment: taken only in order and only into a free receive slot (the sender keeps
 * within the window we advertise, so only a lost frame or a late one is dropped here); anything
 * else is dropped and answered with our ack, so the sender sends again from there. */
static void on_data(struct miglink *l, const struct ml_hdr *h, const u8 *p)
{
	l->ack_due = true;
	if (h->seq != l->expect || l->expect - l->take == ML_WINDOW || l->state != ML_OPEN)
		return;
	l->msg_len += h->len;
	if (l->msg_len > MIGLINK_MSG_MAX) {
		link_fail(l, "the peer sent a message longer than MIGLINK_MSG_MAX");
		return;
	}
	if (h->flags & ML_F_END)
		l->msg_len = 0;
	struct ml_slot *s = &l->rx[l->expect++ % ML_WINDOW];
	s->len = h->len;
	s->flags = h->flags;
	memcpy(s->data, p, h->len);
	l->st.rx_bytes += h->len;
}

/* A frame of our EtherType from the NIC (uplink's lock held: nothing is sent from here). */
static void on_frame(const u8 *f, u32 len)
{
	struct ml_hdr h;
	const u8 *p;
	enum ml_status st = ml_decode(ml.keyed ? &ml.key : NULL, f, len, &h, &p);
	if (st == ML_NOT_OURS || st == ML_MALFORMED)
		return;
	if (memcmp(h.dst, uplink_mac(), 6) && memcmp(h.dst, broadcast, 6))
		return; /* for another NIC (a promiscuous one hears it) */
	if (h.type == ML_HELLO) {
		on_hello(&h, p, st);
		return;
	}
	struct miglink *l = h.type == ML_WELCOME ? NULL : find(h.stream, h.nonce, false);
	if (st != ML_OK || (!l && h.type != ML_WELCOME)) {
		if (st == ML_BAD_MAC && l)
			l->st.dropped++;
		if (st == ML_BAD_MAC)
			ml.bad_mac++;
		else
			ml.unknown++;
		if (may_log())
			log_warn("miglink: dropped a frame of stream %08x: %s (%llu so far)",
				 h.stream,
				 st == ML_BAD_MAC ? "its MAC does not check" : "no such stream",
				 st == ML_BAD_MAC ? ml.bad_mac : ml.unknown);
		return;
	}
	if (h.type == ML_WELCOME) {
		on_welcome(&h, p);
		return;
	}
	u64 now = time_us();
	l->last_rx = now;
	l->unanswered = 0;
	l->confirmed = true; /* the peer has the key and our nonce */
	if (h.flags & ML_F_PROBE)
		l->ack_due = true; /* answered at our next tick, whatever our clock's pace */
	on_ack(l, h.ack, now);
	if (!ml_after(l->right, h.ack + h.win))
		l->right = h.ack + h.win;
	if (h.type == ML_DATA) {
		on_data(l, &h, p);
	} else if (h.type == ML_CLOSE) {
		l->closed = true;
		link_fail(l, "the peer closed the stream");
	}
}

/* Send what the window allows; on a timeout, everything unacknowledged again (go-back-N),
 * which the peer must answer as a probe (peer_gone). */
static void pump(struct miglink *l, u64 now)
{
	if (l->sent != l->base && l->deadline && now >= l->deadline) {
		l->unanswered++;
		l->st.retransmits += l->sent - l->base;
		l->sent = l->base;
		l->rto = MIN(l->rto * 2, (u64)ML_RTO_MAX);
	}
	if (l->sent == l->base && l->sent != l->next)
		l->deadline = now + l->rto;
	while (l->sent != l->next && ml_after(l->right, l->sent)) {
		const struct ml_slot *s = &l->tx[l->sent % ML_WINDOW];
		if (!emit(l, ML_DATA, s->flags, l->sent, s->data, s->len))
			break; /* the ring is full: the rest at the next turn */
		l->sent++;
	}
}

/* miglink-test's responder (the command is mgmt/miglink_test.c): the header message sets the count (test_total = N + 1); the data is hashed;
 * once N bytes are in, the answer: the count and the digest. */
static void test_serve(struct miglink *l)
{
	int n;
	while ((n = miglink_recv(l, ml.msg, sizeof(ml.msg))) > 0) {
		if (!l->test_total) {
			if (n != 12 || ml_get64(ml.msg) >> 32 != ML_TEST_MAGIC)
				return;
			l->test_total = ml_get64(ml.msg + 4) + 1;
			sha256_init(&l->test_sum);
			continue;
		}
		sha256_update(&l->test_sum, ml.msg, (u64)n);
		l->test_got += (u64)n;
		if (l->test_got == l->test_total - 1) {
			u8 ans[ML_TEST_ANSWER];
			ml_put64(ans, l->test_got);
			sha256_final(&l->test_sum, ans + 8);
			miglink_send(l, ans, sizeof(ans));
			log_info("miglink: test stream %08x from %s: %llu bytes in", l->id, l->peer,
				 l->test_got);
		}
	}
}

/* Two keels' clocks are trusted only each for its own: under emulators they run apart (an idle
 * Bochs's ran several times faster than a busy one's), so the peer's own keepalives, paced by
 * its clock, may come seconds of ours apart. So we ask: after ML_KEEPLIVE of silence, an ACK
 * flagged ML_F_PROBE every ML_KEEPLIVE, which a live peer answers at its next poll. The peer is
 * gone only when ML_DEAD of our time passed since its last valid frame AND ML_PROBES of our
 * probes and retransmission rounds in a row went unanswered: on real machines, about 8 s. */
static bool peer_gone(const struct miglink *l, u64 now)
{
	return now - l->last_rx > ML_DEAD && l->unanswered >= ML_PROBES;
}

/* Whether this turn's ACK is a probe (counted once it is out). */
static bool probe_due(const struct miglink *l, u64 now)
{
	return now - l->last_rx >= ML_KEEPLIVE && now - l->probe_at >= ML_KEEPLIVE;
}

/* One stream's turn: HELLOs until answered, WELCOME, data, acks, keepalives, the dead peer. */
static void tick(struct miglink *l, u64 now)
{
	if (l->state == ML_CONNECTING) {
		if (now < l->deadline)
			return;
		if (++l->tries > ML_TRIES) {
			link_fail(l,
				  "no keel answered: is the peer up with incoming=yes, this host= "
				  "name and the same migrate_key?");
			return;
		}
		u8 names[2 * ML_NAME] = {0};
		memcpy(names, l->peer, strlen(l->peer));
		memcpy(names + ML_NAME, ml.host, strlen(ml.host));
		emit(l, ML_HELLO, 0, 0, names, sizeof(names));
		l->deadline = now + l->rto;
		l->rto = MIN(l->rto * 2, (u64)ML_RTO_MAX);
		return;
	}
	if (l->state == ML_FAILED && !l->outgoing && (l->test || !l->accepted)) {
		l->state = ML_FREE; /* no one holds it to close it */
		return;
	}
	if (l->state != ML_OPEN)
		return;
	if (l->welcome_due) {
		u8 echo[8];
		for (u32 i = 0; i < 8; i++)
			echo[i] = (u8)(l->nonce_c >> (56 - 8 * i));
		l->welcome_due = false;
		emit(l, ML_WELCOME, 0, 0, echo, sizeof(echo));
	}
	if (peer_gone(l, now)) {
		link_fail(l, "the peer stopped answering");
		return;
	}
	if (l->confirmed || l->outgoing)
		pump(l, now);
	if (l->test && !l->outgoing)
		test_serve(l);
	bool probe = probe_due(l, now);
	if ((probe || l->ack_due || now - l->last_tx >= ML_KEEPLIVE) &&
	    emit(l, ML_ACK, probe ? ML_F_PROBE : 0, 0, NULL, 0) && probe) {
		l->probe_at = now;
		l->unanswered++;
	}
}

/* Every stream's turn (the tap's poll, after the NIC's frames are in). */
static void ml_tick_all(void)
{
	u64 now = time_us();
	for (u32 i = 0; i < ML_STREAMS; i++)
		if (ml.s[i].state != ML_FREE)
			tick(&ml.s[i], now);
}

/* Open streams want a turn every millisecond; none: the uplink's own pace. */
static u64 ml_again(void)
{
	for (u32 i = 0; i < ML_STREAMS; i++)
		if (ml.s[i].state == ML_CONNECTING || ml.s[i].state == ML_OPEN)
			return 1000;
	return 0;
}

static const struct uplink_tap tap = {
	.ethertype = ML_ETHERTYPE,
	.frame = on_frame,
	.poll = ml_tick_all,
	.poll_again = ml_again,
};

void miglink_start(const char *host, const u8 *key, u32 keylen, bool incoming)
{
	memcpy(ml.host, host, MIN(strlen(host), (size_t)ML_NAME - 1));
	ml.incoming = incoming;
	if (key && keylen) {
		hmac_sha256_key(&ml.key, key, keylen);
		ml.keyed = true;
	}
	if (!incoming && !key)
		return; /* no migration either way: leave the NIC alone */
	if (incoming && !host[0])
		log_err("miglink: incoming=yes without host=: no peer can name this keel");
	if (incoming && !key)
		log_err("miglink: incoming=yes without migrate_key=: every stream is refused");
	ml.started = uplink_tap(&tap);
	if (ml.started)
		log_info("miglink: on the host NIC, EtherType %#x%s", ML_ETHERTYPE,
			 incoming ? ", accepting streams" : "");
}

void miglink_poll(void)
{
	uplink_poll(); /* the NIC's frames in, then ml_tick_all */
}

u64 miglink_poll_again(void)
{
	return ml_again();
}

struct miglink *ml_connect(const char *peer, bool test, const char **why)
{
	struct miglink *l = NULL;
	if (!ml.started)
		*why = "no host NIC for the link (or no migrate_key=)";
	else if (!ml.keyed)
		*why = "this keel has no migrate_key=";
	else if (!peer[0] || strlen(peer) >= ML_NAME)
		*why = "no such host name";
	else if (!(l = new_stream()))
		*why = "too many streams open";
	if (!l)
		return NULL;
	l->id = (u32)random64();
	l->nonce_c = random64();
	l->outgoing = true;
	l->test = test;
	memcpy(l->peer, peer, strlen(peer));
	l->state = ML_CONNECTING;
	return l;
}

struct miglink *miglink_connect(const char *peer, const char **why)
{
	return ml_connect(peer, false, why);
}

struct miglink *miglink_accept(void)
{
	for (u32 i = 0; i < ML_STREAMS; i++) {
		struct miglink *l = &ml.s[i];
		if (l->state == ML_OPEN && !l->outgoing && !l->test && l->confirmed &&
		    !l->accepted) {
			l->accepted = true;
			return l;
		}
	}
	return NULL;
}

bool miglink_send(struct miglink *l, const void *msg, u32 len)
{
	u32 n = ml_frags(len);
	if (l->state == ML_FAILED || len > MIGLINK_MSG_MAX || l->next - l->base + n > ML_WINDOW)
		return false;
	const u8 *p = msg;
	for (u32 i = 0; i < n; i++) {
		struct ml_slot *s = &l->tx[l->next++ % ML_WINDOW];
		s->len = (u16)MIN(len, (u32)ML_PAYLOAD_MAX);
		s->flags = i == n - 1 ? ML_F_END : 0;
		memcpy(s->data, p, s->len);
		p += s->len;
		len -= s->len;
		l->st.tx_bytes += s->len;
	}
	return true;
}

int miglink_recv(struct miglink *l, void *buf, u32 cap)
{
	u32 len, n = ml_msg_frames(l->rx, l->take, l->expect, &len);
	if (!n)
		return l->state == ML_FAILED ? -1 : 0;
	if (len > cap)
		return -1;
	u8 *out = buf;
	for (u32 i = 0; i < n; i++) {
		const struct ml_slot *s = &l->rx[l->take++ % ML_WINDOW];
		memcpy(out, s->data, s->len);
		out += s->len;
	}
	l->ack_due = true; /* room again: tell the sender */
	return (int)len;
}

bool miglink_idle(const struct miglink *l)
{
	return l->state == ML_OPEN && l->base == l->next;
}

const char *miglink_error(const struct miglink *l)
{
	return l->state == ML_FAILED ? l->err : NULL;
}

void miglink_stats(const struct miglink *l, struct miglink_stats *s)
{
	*s = l->st;
}

void miglink_close(struct miglink *l)
{
	if (l->state == ML_OPEN)
		emit(l, ML_CLOSE, 0, 0, NULL, 0);
	l->state = ML_FREE;
}
