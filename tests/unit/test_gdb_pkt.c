/* gdb's packet layer (mgmt/gdb_pkt.c): framing, checksums, acks, escapes, interrupts, the
 * size limit and the hex helpers (gdb manual, Remote Protocol appendix, "Overview"). */
#include "tests/unit/fakes.h"
#include "mgmt/gdb_pkt.h"

#include <stdio.h>
#include <string.h>
#include "lib/codec.h"

static struct gdb_rx rx;

/* Feed s; the last non-NONE result (and how many there were in *count). */
static enum gdb_in feed_n(const char *s, size_t n, int *count)
{
	enum gdb_in last = GDB_IN_NONE;
	int c = 0;
	for (size_t i = 0; i < n; i++) {
		enum gdb_in r = gdb_rx_byte(&rx, (u8)s[i]);
		if (r != GDB_IN_NONE) {
			last = r;
			c++;
		}
	}
	if (count)
		*count = c;
	return last;
}

static enum gdb_in feed(const char *s)
{
	return feed_n(s, strlen(s), NULL);
}

static void test_good_packet(void **state)
{
	(void)state;
	memset(&rx, 0, sizeof(rx));
	assert_int_equal(feed("$g#67"), GDB_IN_PACKET);
	assert_int_equal(rx.len, 1);
	assert_string_equal(rx.buf, "g");
	assert_int_equal(feed("$qSupported:multiprocess+;swbreak+#bc"), GDB_IN_BAD);
	/* checksum digits in either case */
	assert_int_equal(feed("$m0,4#FD"), GDB_IN_PACKET);
	assert_string_equal(rx.buf, "m0,4");
	assert_int_equal(feed("$#00"), GDB_IN_PACKET);
	assert_int_equal(rx.len, 0);
}

static void test_bad_checksum(void **state)
{
	(void)state;
	memset(&rx, 0, sizeof(rx));
	assert_int_equal(feed("$g#68"), GDB_IN_BAD);
	assert_int_equal(feed("$g#6z"), GDB_IN_BAD);
	assert_int_equal(feed("$g#z"), GDB_IN_BAD);
	/* and the layer is back between packets */
	assert_int_equal(feed("$g#67"), GDB_IN_PACKET);
}

static void test_acks_and_interrupt(void **state)
{
	(void)state;
	memset(&rx, 0, sizeof(rx));
	assert_int_equal(feed("+"), GDB_IN_ACK);
	assert_int_equal(feed("-"), GDB_IN_NAK);
	assert_int_equal(feed("\x03"), GDB_IN_INTERRUPT);
	assert_int_equal(feed("xyz"), GDB_IN_NONE); /* noise between packets */
	/* inside a packet they are data */
	int n;
	assert_int_equal(feed_n("$+-#58", 6, &n), GDB_IN_PACKET);
	assert_int_equal(n, 1);
	assert_string_equal(rx.buf, "+-");
	/* a new '$' restarts a packet whose end was lost */
	assert_int_equal(feed("$m1$g#67"), GDB_IN_PACKET);
	assert_string_equal(rx.buf, "g");
}

static void test_escapes(void **state)
{
	(void)state;
	memset(&rx, 0, sizeof(rx));
	/* X with bytes '#' '$' '}' escaped: 7d 03, 7d 04, 7d 5d; the sum is over what was sent */
	const char body[] = "X0,3:}\x03}\x04}]";
	u8 sum = 0;
	for (size_t i = 0; i < sizeof(body) - 1; i++)
		sum = (u8)(sum + (u8)body[i]);
	char pkt[64];
	snprintf(pkt, sizeof(pkt), "$%s#%02x", body, sum);
	assert_int_equal(feed(pkt), GDB_IN_PACKET);
	assert_int_equal(rx.len, 8);
	assert_memory_equal(rx.buf, "X0,3:#$}", 8);
}

static void test_frame(void **state)
{
	(void)state;
	char out[64];
	u32 n = gdb_frame(out, sizeof(out), "OK", 2);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "$OK#9a", 6);
	/* '$', '#', '}' and '*' are escaped; '*' never starts run-length encoding */
	n = gdb_frame(out, sizeof(out), "a*#$}", 5);
	assert_memory_equal(out, "$a}\x0a}\x03}\x04}]#", 11);
	/* what keel frames, its own layer reads back */
	memset(&rx, 0, sizeof(rx));
	assert_int_equal(feed_n(out, n, NULL), GDB_IN_PACKET);
	assert_memory_equal(rx.buf, "a*#$}", 5);
	/* too small a buffer: 0, never a cut packet */
	assert_int_equal(gdb_frame(out, 5, "OK", 2), 0);
	assert_int_equal(gdb_frame(out, 6, "OK", 2), 6);
}

static void test_too_long(void **state)
{
	(void)state;
	static char big[GDB_PKT_MAX + 16];
	memset(&rx, 0, sizeof(rx));
	memset(big, 'a', sizeof(big));
	u8 sum = 0;
	for (size_t i = 0; i < GDB_PKT_MAX + 1; i++)
		sum = (u8)(sum + 'a');
	char tail[8];
	snprintf(tail, sizeof(tail), "#%02x", sum);
	assert_int_equal(feed("$"), GDB_IN_NONE);
	assert_int_equal(feed_n(big, GDB_PKT_MAX + 1, NULL), GDB_IN_NONE);
	assert_int_equal(feed(tail), GDB_IN_TOO_LONG);
	assert_true(rx.len <= GDB_PKT_MAX);
	/* exactly the limit is fine */
	sum = (u8)(sum - 'a');
	snprintf(tail, sizeof(tail), "#%02x", sum);
	feed("$");
	feed_n(big, GDB_PKT_MAX, NULL);
	assert_int_equal(feed(tail), GDB_IN_PACKET);
	assert_int_equal(rx.len, GDB_PKT_MAX);
}

static void test_hex(void **state)
{
	(void)state;
	assert_int_equal(hex_digit('0'), 0);
	assert_int_equal(hex_digit('f'), 15);
	assert_int_equal(hex_digit('F'), 15);
	assert_int_equal(hex_digit('g'), -1);
	char out[8];
	gdb_hex_put(out, "\x01\xab\xff", 3);
	assert_memory_equal(out, "01abff", 6);
	u8 b[3];
	assert_true(gdb_hex_get(b, "01ABff", 3));
	assert_memory_equal(b, "\x01\xab\xff", 3);
	assert_false(gdb_hex_get(b, "0x", 1));
	const char *s = "ffffffff80001000,4", *p = s;
	u64 v;
	assert_true(gdb_hex_u64(&p, s + strlen(s), &v));
	assert_true(v == 0xffffffff80001000ULL);
	assert_int_equal(*p, ',');
	s = "11111111111111111";
	p = s;
	assert_false(gdb_hex_u64(&p, s + strlen(s), &v)); /* 17 digits: too long */
	p = s = ",4";
	assert_false(gdb_hex_u64(&p, s + 2, &v));
	assert_true(p == s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_packet),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_acks_and_interrupt),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
