/* mgmt/miglink_wire.c: the link's frames (encode, decode, the MAC over every field), sequence
 * and window arithmetic, and message reassembly. */
#include "tests/unit/fakes.h"
#include "mgmt/miglink_wire.h"

#include <string.h>

static struct hmac_sha256 key, other;

static int setup(void **state)
{
	(void)state;
	hmac_sha256_key(&key, "0123456789abcdef", 16);
	hmac_sha256_key(&other, "0123456789abcdeF", 16);
	return 0;
}

/* A DATA frame of n payload bytes into f: its length. */
static u32 frame(u8 *f, u32 n)
{
	static u8 p[ML_PAYLOAD_MAX];
	for (u32 i = 0; i < n; i++)
		p[i] = (u8)(i * 7);
	struct ml_hdr h = {.dst = {2, 0, 0, 0, 0, 1},
			   .src = {2, 0, 0, 0, 0, 2},
			   .type = ML_DATA,
			   .flags = ML_F_END,
			   .len = (u16)n,
			   .stream = 0xdeadbeef,
			   .nonce = 0x0123456789abcdefull,
			   .seq = 0xfffffffe,
			   .ack = 7};
	return ml_encode(&key, &h, p, f);
}

static void test_roundtrip(void **state)
{
	(void)state;
	u8 f[ML_FRAME_MAX];
	u32 len = frame(f, ML_PAYLOAD_MAX);
	assert_int_equal(len, ML_FRAME_MAX);
	assert_int_equal(f[12], 0x88);
	assert_int_equal(f[13], 0xb5);
	struct ml_hdr h;
	const u8 *p;
	assert_int_equal(ml_decode(&key, f, len, &h, &p), ML_OK);
	assert_int_equal(h.type, ML_DATA);
	assert_int_equal(h.flags, ML_F_END);
	assert_int_equal(h.len, ML_PAYLOAD_MAX);
	assert_int_equal(h.stream, 0xdeadbeef);
	assert_true(h.nonce == 0x0123456789abcdefull);
	assert_int_equal(h.seq, 0xfffffffe);
	assert_int_equal(h.ack, 7);
	assert_int_equal(h.src[5], 2);
	assert_int_equal(p[100], (u8)700);
	/* an empty payload, padded by Ethernet to more than it needs */
	len = frame(f, 0);
	memset(f + len, 0, 10);
	assert_int_equal(ml_decode(&key, f, len + 10, &h, &p), ML_OK);
}

/* Every byte is under the MAC: addresses, stream, nonce, sequence, ack, payload, the MAC. */
static void test_mac_covers_all(void **state)
{
	(void)state;
	u8 f[ML_FRAME_MAX];
	u32 len = frame(f, 100);
	struct ml_hdr h;
	const u8 *p;
	for (u32 i = 0; i < len; i++) {
		if (i == 12 || i == 13 || i == ML_ETH || (i >= ML_ETH + 24 && i < ML_ETH + 26))
			continue; /* EtherType, version, length: judged before the MAC */
		f[i] ^= 0x40;
		assert_int_equal(ml_decode(&key, f, len, &h, &p), ML_BAD_MAC);
		f[i] ^= 0x40;
	}
	assert_int_equal(ml_decode(&key, f, len, &h, &p), ML_OK);
	assert_int_equal(ml_decode(&other, f, len, &h, &p), ML_BAD_MAC);
	assert_int_equal(ml_decode(NULL, f, len, &h, &p), ML_BAD_MAC);
	assert_int_equal(h.stream, 0xdeadbeef); /* still named, for the refusal's log line */
}

static void test_malformed(void **state)
{
	(void)state;
	u8 f[ML_FRAME_MAX];
	u32 len = frame(f, 100);
	struct ml_hdr h;
	const u8 *p;
	assert_int_equal(ml_decode(&key, f, len - 1, &h, &p), ML_MALFORMED); /* truncated */
	assert_int_equal(ml_decode(&key, f, 20, &h, &p), ML_NOT_OURS);
	f[ML_ETH + 24] = 0xff; /* a length past the frame */
	assert_int_equal(ml_decode(&key, f, len, &h, &p), ML_MALFORMED);
	f[12] = 0x08; /* IPv4 */
	assert_int_equal(ml_decode(&key, f, len, &h, &p), ML_NOT_OURS);
	frame(f, 100);
	f[ML_ETH] = 2; /* another version */
	assert_int_equal(ml_decode(&key, f, len, &h, &p), ML_NOT_OURS);
}

/* Sequence numbers wrap at 2^32; an ack counts only inside (base, next]. */
static void test_window(void **state)
{
	(void)state;
	assert_true(ml_after(1, 0));
	assert_true(ml_after(0, 0xffffffff));
	assert_false(ml_after(0xffffffff, 0));
	assert_false(ml_after(5, 5));
	assert_true(ml_ack_ok(0xfffffff0 + 20, 0xfffffff0, 0xfffffff0 + 64));
	assert_false(ml_ack_ok(0xfffffff0, 0xfffffff0, 0xfffffff0 + 64));      /* no progress */
	assert_false(ml_ack_ok(0xfffffff0 + 65, 0xfffffff0, 0xfffffff0 + 64)); /* never sent */
	assert_false(ml_ack_ok(0xffffffe0, 0xfffffff0, 0xfffffff0 + 64));      /* an old one */
	assert_int_equal(ml_frags(0), 1);
	assert_int_equal(ml_frags(1), 1);
	assert_int_equal(ml_frags(ML_PAYLOAD_MAX), 1);
	assert_int_equal(ml_frags(ML_PAYLOAD_MAX + 1), 2);
	assert_int_equal(ml_frags(MIGLINK_MSG_MAX), 3);
	assert_true(ML_FRAME_MAX - ML_ETH <= 1500);
}

static void test_reasm(void **state)
{
	(void)state;
	static struct ml_reasm r;
	static u8 msg[MIGLINK_MSG_MAX];
	for (u32 i = 0; i < sizeof(msg); i++)
		msg[i] = (u8)(i ^ (i >> 8));
	u32 off = 0;
	int got = 0;
	while (off < sizeof(msg)) {
		u32 n = MIN((u32)ML_PAYLOAD_MAX, (u32)sizeof(msg) - off);
		got = ml_reasm_add(&r, msg + off, n, off + n == sizeof(msg));
		off += n;
		assert_int_equal(got, off == sizeof(msg) ? 1 : 0);
	}
	assert_int_equal(r.len, sizeof(msg));
	assert_memory_equal(r.buf, msg, sizeof(msg));
	r.len = 0;
	assert_int_equal(ml_reasm_add(&r, msg, 0, true), 1); /* an empty message */
	assert_int_equal(r.len, 0);
	for (u32 i = 0; i < 2; i++)
		assert_int_equal(ml_reasm_add(&r, msg, ML_PAYLOAD_MAX, false), 0);
	assert_int_equal(ml_reasm_add(&r, msg, ML_PAYLOAD_MAX, false), -1); /* too long */
	assert_int_equal(r.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_mac_covers_all),
		cmocka_unit_test(test_malformed), cmocka_unit_test(test_window),
		cmocka_unit_test(test_reasm),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
