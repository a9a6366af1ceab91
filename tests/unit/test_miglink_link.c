/* mgmt/miglink.c's streams, with the test as the peer keel: it hands frames to the link's tap
 * and reads what the link sends, on a clock of its own. Discovery (a wrong key refused, the
 * right one answered), in-order delivery, replays and forgeries dropped, go-back-N on a
 * timeout, the send window and the peer's receive window, a peer that stops answering, and one
 * whose clock runs far slower than ours (it answers our probes, so it is not gone). */
#include "tests/unit/fakes.h"
#include "tests/unit/fakes_virtio.h"
#include "mgmt/miglink.c"

#include <string.h>

static u64 clock_us;
static const struct uplink_tap *the_tap;
static u8 sent[256][ML_FRAME_MAX];
static u32 sent_len[256], nsent;
static const u8 my_mac[6] = {2, 0, 0, 0, 0, 1}, peer_mac[6] = {2, 0, 0, 0, 0, 2};
static struct hmac_sha256 key, wrong;

u64 time_us(void)
{
	return clock_us;
}

u64 tsc_now(void)
{
	return clock_us;
}

bool uplink_tap(const struct uplink_tap *t)
{
	the_tap = t;
	return true;
}

bool uplink_send_raw(const void *frame, u32 len)
{
	assert_true(len <= ML_FRAME_MAX);
	memcpy(sent[nsent % 256], frame, len);
	sent_len[nsent++ % 256] = len;
	return true;
}

const u8 *uplink_mac(void)
{
	return my_mac;
}

void uplink_poll(void)
{
	the_tap->poll();
}

/* The i-th frame sent since the last reset, decoded with the right key. */
static struct ml_hdr got(u32 i, const u8 **p)
{
	struct ml_hdr h;
	const u8 *q;
	assert_true(i < nsent);
	assert_int_equal(ml_decode(&key, sent[i], sent_len[i], &h, p ? p : &q), ML_OK);
	return h;
}

/* A frame from the peer to the link, under key k. */
static void deliver(const struct hmac_sha256 *k, struct ml_hdr h, const void *payload)
{
	u8 f[ML_FRAME_MAX];
	memcpy(h.dst, h.type == ML_HELLO ? broadcast : my_mac, 6);
	memcpy(h.src, peer_mac, 6);
	u32 n = ml_encode(k, &h, payload, f);
	the_tap->frame(f, n);
}

static int setup(void **state)
{
	(void)state;
	memset(&ml, 0, sizeof(ml));
	hmac_sha256_key(&key, "0123456789abcdef", 16);
	hmac_sha256_key(&wrong, "0123456789abcdeX", 16);
	clock_us = 1000000;
	nsent = 0;
	fake_entropy = true; /* stream ids and nonces from fakes_virtio.c's entropy_read */
	fake_entropy_left = -1;
	fake_entropy_next = 0x1234567890ull;
	log_reset();
	return 0;
}

/* A HELLO for k1 from k2 (the connector's nonce c), under key k. */
static void hello(const struct hmac_sha256 *k, u32 id, u64 c)
{
	u8 names[2 * ML_NAME] = "k1";
	memcpy(names + ML_NAME, "k2", 2);
	deliver(k,
		(struct ml_hdr){.type = ML_HELLO, .len = sizeof(names), .stream = id, .nonce = c},
		names);
}

static void test_responder(void **state)
{
	(void)state;
	miglink_start("k1", (const u8 *)"0123456789abcdef", 16, true);
	hello(&wrong, 7, 99);
	uplink_poll();
	assert_int_equal(nsent, 0);
	assert_true(log_contains("refused a stream from k2: wrong key"));
	hello(&key, 7, 99);
	uplink_poll();
	const u8 *p;
	struct ml_hdr w = got(0, &p);
	assert_int_equal(w.type, ML_WELCOME);
	assert_int_equal(w.stream, 7);
	assert_memory_equal(w.dst, peer_mac, 6);
	assert_true(ml_get64(p) == 99);
	assert_null(miglink_accept()); /* not until the peer shows it has the key and our nonce */
	u64 n = 99 ^ w.nonce;
	struct ml_hdr d = {.type = ML_DATA,
			   .flags = ML_F_END,
			   .len = 5,
			   .stream = 7,
			   .nonce = n,
			   .win = ML_WINDOW};
	deliver(&key, d, "hello");
	struct miglink *l = miglink_accept();
	assert_non_null(l);
	u8 buf[MIGLINK_MSG_MAX];
	assert_int_equal(miglink_recv(l, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	/* a replay, a forgery, the right frame under an older stream's nonce: all dropped */
	deliver(&key, d, "hello");
	deliver(&wrong,
		(struct ml_hdr){.type = ML_DATA,
				.flags = ML_F_END,
				.len = 5,
				.stream = 7,
				.nonce = n,
				.seq = 1},
		"forge");
	deliver(&key,
		(struct ml_hdr){.type = ML_DATA,
				.flags = ML_F_END,
				.len = 5,
				.stream = 7,
				.nonce = n ^ 1,
				.seq = 1},
		"stale");
	assert_int_equal(miglink_recv(l, buf, sizeof(buf)), 0);
	assert_int_equal(l->st.dropped, 1);
	assert_int_equal(ml.unknown, 1);
	nsent = 0;
	uplink_poll();
	struct ml_hdr a = got(nsent - 1, NULL);
	assert_int_equal(a.type, ML_ACK);
	assert_int_equal(a.ack, 1);
	assert_int_equal(a.win, ML_WINDOW);
	/* the peer closes: the stream ends without an error line */
	deliver(&key, (struct ml_hdr){.type = ML_CLOSE, .stream = 7, .nonce = n, .ack = 0}, NULL);
	assert_int_equal(miglink_recv(l, buf, sizeof(buf)), -1);
	assert_string_equal(miglink_error(l), "the peer closed the stream");
	miglink_close(l);
}

/* Connect to k1 and answer its HELLO: the open stream (nonce r). */
static struct miglink *open_stream(u64 r)
{
	const char *why;
	miglink_start("k2", (const u8 *)"0123456789abcdef", 16, false);
	struct miglink *l = miglink_connect("k1", &why);
	assert_non_null(l);
	uplink_poll();
	struct ml_hdr h = got(0, NULL);
	assert_int_equal(h.type, ML_HELLO);
	assert_memory_equal(h.dst, broadcast, 6);
	clock_us += ML_RTO_MIN; /* no answer: HELLO again */
	uplink_poll();
	assert_int_equal(got(1, NULL).type, ML_HELLO);
	u8 echo[8];
	ml_put64(echo, h.nonce);
	deliver(&key, (struct ml_hdr){.type = ML_WELCOME, .len = 8, .stream = h.stream, .nonce = r},
		echo);
	assert_int_equal(l->state, ML_OPEN);
	nsent = 0;
	return l;
}

static void test_connector(void **state)
{
	(void)state;
	struct miglink *l = open_stream(5);
	static u8 msg[MIGLINK_MSG_MAX];
	for (u32 i = 0; i < sizeof(msg); i++)
		msg[i] = (u8)i;
	assert_true(miglink_send(l, msg, sizeof(msg)));
	uplink_poll();
	u32 data = 0;
	for (u32 i = 0; i < nsent; i++)
		data += got(i, NULL).type == ML_DATA;
	assert_int_equal(data, 3);
	assert_int_equal(got(2, NULL).flags & ML_F_END, ML_F_END);
	assert_false(miglink_idle(l));
	/* no ack within the timeout: the three again */
	clock_us += ML_RTO_MIN + 1;
	uplink_poll();
	assert_int_equal(l->st.retransmits, 3);
	u64 n = l->nonce_c ^ 5;
	deliver(&key,
		(struct ml_hdr){
			.type = ML_ACK, .stream = l->id, .nonce = n, .ack = 3, .win = ML_WINDOW},
		NULL);
	assert_true(miglink_idle(l));
	/* the send window: 64 frames, 21 messages of 3 */
	u32 k = 0;
	while (miglink_send(l, msg, sizeof(msg)))
		k++;
	assert_int_equal(k, ML_WINDOW / 3);
	uplink_poll(); /* all 63 out: the peer's window reaches seq 3 + 64 */
	/* the peer has them all but took none: room for 1 more (its right edge, 67) */
	deliver(&key,
		(struct ml_hdr){.type = ML_ACK, .stream = l->id, .nonce = n, .ack = 66, .win = 1},
		NULL);
	assert_true(miglink_send(l, msg, sizeof(msg)));
	nsent = 0;
	uplink_poll();
	data = 0;
	for (u32 i = 0; i < nsent; i++)
		if (got(i, NULL).type == ML_DATA) {
			assert_int_equal(got(i, NULL).seq, 66);
			data++;
		}
	assert_int_equal(data, 1);
	/* and then nothing from the peer: the link fails */
	for (u32 i = 0; i <= ML_TRIES + 2 && !miglink_error(l); i++) {
		clock_us += ML_RTO_MAX;
		uplink_poll();
	}
	assert_string_equal(miglink_error(l), "the peer stopped answering");
	assert_false(miglink_send(l, msg, 1));
	assert_int_equal(miglink_recv(l, msg, sizeof(msg)), -1);
	miglink_close(l);
}

/* No answer to HELLO: the connector gives up with a reason. */
static void test_no_answer(void **state)
{
	(void)state;
	const char *why;
	miglink_start("k2", (const u8 *)"0123456789abcdef", 16, false);
	struct miglink *l = miglink_connect("k9", &why);
	for (u32 i = 0; i <= ML_TRIES + 1; i++) {
		uplink_poll();
		clock_us += ML_RTO_MAX;
	}
	assert_non_null(strstr(miglink_error(l), "no keel answered"));
	miglink_close(l);
	memset(&ml, 0, sizeof(ml));
	miglink_start("k2", NULL, 0, false);
	assert_null(miglink_connect("k1", &why));
	assert_non_null(why);
}

/* Our clock races ahead of the peer's: 20 s of ours between its frames, but each probe is
 * answered, so the link holds; a peer answered probes at once; then silence: the link fails
 * only after ML_DEAD and ML_PROBES unanswered probes. */
static void test_slow_peer(void **state)
{
	(void)state;
	struct miglink *l = open_stream(5);
	u64 n = l->nonce_c ^ 5;
	struct ml_hdr ack = {.type = ML_ACK, .stream = l->id, .nonce = n, .win = ML_WINDOW};
	for (u32 i = 0; i < 50; i++) {
		clock_us += 20000000;
		nsent = 0;
		uplink_poll();
		struct ml_hdr p = got(nsent - 1, NULL);
		assert_int_equal(p.type, ML_ACK);
		assert_int_equal(p.flags & ML_F_PROBE, ML_F_PROBE);
		assert_null(miglink_error(l));
		deliver(&key, ack, NULL); /* the slow peer's answer */
	}
	/* the peer's probe is answered at the next turn, though our last frame was just now */
	struct ml_hdr probe = ack;
	probe.flags = ML_F_PROBE;
	deliver(&key, probe, NULL);
	nsent = 0;
	uplink_poll();
	assert_int_equal(nsent, 1);
	assert_int_equal(got(0, NULL).type, ML_ACK);
	/* silence: long past ML_DEAD, the link waits for ML_PROBES unanswered probes */
	clock_us += 60000000;
	u32 polls = 0;
	while (!miglink_error(l) && polls < 100) {
		uplink_poll();
		clock_us += ML_KEEPLIVE;
		polls++;
	}
	assert_int_equal(polls, ML_PROBES + 1);
	assert_string_equal(miglink_error(l), "the peer stopped answering");
	miglink_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_responder, setup),
		cmocka_unit_test_setup(test_connector, setup),
		cmocka_unit_test_setup(test_no_answer, setup),
		cmocka_unit_test_setup(test_slow_peer, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
