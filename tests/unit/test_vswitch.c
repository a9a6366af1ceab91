/* keel's L2 switch (vm/vswitch.c): unknown, broadcast and multicast frames flood to every port
 * but the sender's; a learned address takes frames to its one port; an address ages out after
 * 300 s and moves when seen elsewhere; nothing comes back to its sender; a full queue (in
 * frames or in bytes) drops and counts, and frees up as its owner takes frames; runts, oversize
 * frames and checksum requests outside the frame are refused; the owner is told once per empty
 * queue; checksums are filled as RFC 1071 says; switches are made once per name. */
#include "tests/unit/fakes_vdev.h"
#include "vm/vswitch.h"

#include <string.h>

#define NPORTS 4
static struct vswitch sw;
static struct vsw_port port[NPORTS];
static u8 ring[NPORTS][VSW_QUEUE_BYTES];
static int told[NPORTS];

// cppcheck-suppress constParameter ; the switch's receive functions take a port they may change
static void receive(struct vsw_port *p)
{
	told[p - port]++;
}

static int setup(void **state)
{
	(void)state;
	fake_now = 1000000;
	fake_khz = 3000000;
	log_reset();
	memset(told, 0, sizeof(told));
	vswitch_init(&sw, "lan");
	for (int i = 0; i < NPORTS; i++) {
		char name[8] = {'v', 'm', (char)('a' + i), '.', '0'};
		assert_true(
			vsw_attach(&sw, &port[i], name, ring[i], sizeof(ring[i]), receive, NULL));
	}
	return 0;
}

/* Port i's address: 02:00:00:00:00:i+1. */
static void mac_of(int i, u8 *mac)
{
	const u8 m[6] = {2, 0, 0, 0, 0, (u8)(i + 1)};
	memcpy(mac, m, 6);
}

/* A frame of len bytes from port from's address to dst, its payload tagged with tag. */
static u32 send_to(int from, const u8 *dst, u32 len, u8 tag)
{
	static u8 f[VSW_FRAME_MAX + 8];
	memset(f, tag, sizeof(f));
	memcpy(f, dst, 6);
	mac_of(from, f + 6);
	f[12] = 0x86, f[13] = 0xdd; /* IPv6 */
	struct vsw_meta m = {0};
	return vsw_send(&port[from], &m, f, len);
}

static u32 send_port(int from, int to, u8 tag)
{
	u8 dst[6];
	mac_of(to, dst);
	return send_to(from, dst, 60, tag);
}

/* The next frame queued on port i: its length, and its tag in *tag. */
static u32 take(int i, u8 *tag)
{
	static u8 buf[VSW_FRAME_MAX];
	struct vsw_meta m;
	u32 len = vsw_recv(&port[i], &m, buf);
	if (len && tag)
		*tag = buf[len - 1];
	return len;
}

static void drain_all(void)
{
	for (int i = 0; i < NPORTS; i++)
		while (take(i, NULL))
			;
}

/* An unknown destination floods to every other port; the reply, to a learned address, goes
 * to one port only; nothing ever reaches its sender. */
static void test_flood_then_learn(void **state)
{
	(void)state;
	assert_int_equal(send_port(0, 1, 7), NPORTS - 1);
	assert_false(vsw_pending(&port[0]));
	for (int i = 1; i < NPORTS; i++) {
		u8 tag = 0;
		assert_int_equal(take(i, &tag), 60);
		assert_int_equal(tag, 7);
	}
	assert_int_equal(send_port(1, 0, 8), 1); /* 0's address was learned */
	u8 tag = 0;
	assert_int_equal(take(0, &tag), 60);
	assert_int_equal(tag, 8);
	for (int i = 1; i < NPORTS; i++)
		assert_false(vsw_pending(&port[i]));
	assert_int_equal(send_port(0, 1, 9), 1); /* and now 1's */
	assert_true(vsw_pending(&port[1]));
	assert_false(vsw_pending(&port[2]));
	assert_int_equal(port[0].tx, 2);
	assert_int_equal(port[1].rx, 2);
	assert_int_equal(port[2].rx, 1);
}

/* Broadcast and multicast (IPv6 neighbour solicitation's 33:33:ff:...) always flood. */
static void test_group_addresses_flood(void **state)
{
	(void)state;
	static const u8 bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const u8 mcast[6] = {0x33, 0x33, 0xff, 0, 0, 2};
	send_port(1, 0, 1); /* every address learned, to no avail for group ones */
	send_port(2, 0, 1);
	send_port(3, 0, 1);
	drain_all();
	assert_int_equal(send_to(0, bcast, 60, 2), NPORTS - 1);
	assert_int_equal(send_to(0, mcast, 60, 3), NPORTS - 1);
	assert_false(vsw_pending(&port[0]));
}

/* A frame to an address learned on the sender's own port goes nowhere: no echo. */
static void test_no_echo(void **state)
{
	(void)state;
	u8 self[6];
	mac_of(0, self);
	send_port(0, 3, 1); /* learns 0 */
	drain_all();
	assert_int_equal(send_to(0, self, 60, 2), 0);
	for (int i = 0; i < NPORTS; i++)
		assert_false(vsw_pending(&port[i]));
}

/* A learned address holds for 300 s since it was last a source, then floods again. */
static void test_ageing(void **state)
{
	(void)state;
	send_port(1, 0, 1);
	drain_all();
	fake_now += 299ull * 1000 * fake_khz;
	assert_int_equal(send_port(0, 1, 2), 1);
	drain_all();
	fake_now += 2ull * 1000 * fake_khz; /* 301 s since 1 last spoke */
	assert_int_equal(send_port(0, 1, 3), NPORTS - 1);
}

/* An address seen on another port moves there (a VM's NIC moved, or a spoofer). */
static void test_address_moves(void **state)
{
	(void)state;
	u8 dst[6];
	mac_of(1, dst);
	send_port(1, 0, 1);
	drain_all();
	/* port 2 sends with 1's address */
	static u8 f[60];
	memset(f, 0, sizeof(f));
	mac_of(0, f);
	mac_of(1, f + 6);
	struct vsw_meta m = {0};
	vsw_send(&port[2], &m, f, sizeof(f));
	drain_all();
	assert_int_equal(send_to(0, dst, 60, 5), 1);
	assert_true(vsw_pending(&port[2]));
	assert_false(vsw_pending(&port[1]));
}

/* The table holds VSW_MACS_MAX addresses; a new one pushes out the oldest, not the others. */
static void test_table_full(void **state)
{
	(void)state;
	static u8 f[60];
	struct vsw_meta m = {0};
	memset(f, 0xff, 6); /* broadcast from many addresses on port 3 */
	for (u32 i = 0; i <= VSW_MACS_MAX; i++) {
		const u8 src[6] = {2, 1, 0, 0, (u8)(i >> 8), (u8)i};
		memcpy(f + 6, src, 6);
		fake_now++;
		vsw_send(&port[3], &m, f, sizeof(f));
		drain_all();
	}
	/* port 0's own address, learned as it sends, pushes out the next oldest (i = 1) */
	const u8 first[6] = {2, 1, 0, 0, 0, 0}, third[6] = {2, 1, 0, 0, 0, 2};
	assert_int_equal(send_to(0, first, 60, 1), NPORTS - 1); /* forgotten: floods */
	drain_all();
	assert_int_equal(send_to(0, third, 60, 1), 1); /* still known */
	assert_true(vsw_pending(&port[3]));
}

/* A queue takes VSW_QUEUE_FRAMES small frames, then drops and counts; taking one frees one
 * place. Other ports are not held up. */
static void test_queue_frames_bound(void **state)
{
	(void)state;
	send_port(1, 0, 0);
	send_port(2, 0, 0);
	drain_all();
	for (u32 i = 0; i < VSW_QUEUE_FRAMES + 10; i++)
		send_port(0, 1, (u8)i);
	assert_int_equal(port[1].rx, 1 + VSW_QUEUE_FRAMES);
	assert_int_equal(port[1].drops, 10);
	assert_int_equal(send_port(0, 2, 1), 1); /* port 2 still takes frames */
	u8 tag = 0xee;
	assert_int_equal(take(1, &tag), 60);
	assert_int_equal(tag, 0); /* oldest first */
	assert_int_equal(send_port(0, 1, 0x77), 1);
	assert_int_equal(send_port(0, 1, 0x78), 0);
	assert_int_equal(port[1].drops, 11);
}

/* Full-size frames fill the ring's bytes before its frame count; after wrapping round the
 * ring many times every frame comes out whole and in order. */
static void test_queue_bytes_bound_and_wrap(void **state)
{
	(void)state;
	send_port(1, 0, 0);
	drain_all();
	u8 dst[6];
	mac_of(1, dst);
	u32 fit = VSW_QUEUE_BYTES / (16 + ALIGN_UP(VSW_FRAME_MAX, 8));
	assert_true(fit < VSW_QUEUE_FRAMES);
	for (u32 i = 0; i < fit + 3; i++)
		send_to(0, dst, VSW_FRAME_MAX, (u8)i);
	assert_int_equal(port[1].q.frames, fit);
	assert_int_equal(port[1].drops, 3);
	drain_all();
	u8 next = 0;
	for (u32 round = 0; round < 1000; round++) {
		u32 len = 100 + round * 7 % (VSW_FRAME_MAX - 100);
		assert_int_equal(send_to(0, dst, len, (u8)round), 1);
		if (round % 3 == 2) {
			for (int k = 0; k < 3; k++, next++) {
				u8 tag = 0;
				assert_true(take(1, &tag) >= 100);
				assert_int_equal(tag, next);
			}
		}
	}
}

/* Runts, oversize frames and checksum requests that reach outside the frame are refused and
 * counted as the sender's errors; the largest frame and the smallest pass. */
static void test_bad_frames(void **state)
{
	(void)state;
	static u8 f[VSW_FRAME_MAX + 1];
	memset(f, 0xff, sizeof(f));
	struct vsw_meta m = {0};
	assert_int_equal(vsw_send(&port[0], &m, f, VSW_FRAME_MIN - 1), 0);
	assert_int_equal(vsw_send(&port[0], &m, f, VSW_FRAME_MAX + 1), 0);
	m = (struct vsw_meta){.needs_csum = true, .csum_start = 34, .csum_offset = 16};
	assert_int_equal(vsw_send(&port[0], &m, f, 51), 0); /* the field ends at 52 */
	assert_int_equal(port[0].errors, 3);
	assert_int_equal(port[0].tx, 0);
	assert_int_equal(vsw_send(&port[0], &m, f, 52), NPORTS - 1);
	m = (struct vsw_meta){0};
	assert_int_equal(vsw_send(&port[0], &m, f, VSW_FRAME_MIN), NPORTS - 1);
	assert_int_equal(vsw_send(&port[0], &m, f, VSW_FRAME_MAX), NPORTS - 1);
}

/* The owner is told when frames arrive in an empty queue, once until it takes them all. */
static void test_told_once(void **state)
{
	(void)state;
	send_port(1, 0, 0);
	drain_all();
	memset(told, 0, sizeof(told));
	send_port(0, 1, 1);
	send_port(0, 1, 2);
	assert_int_equal(told[1], 1);
	assert_int_equal(told[2], 0);
	take(1, NULL);
	send_port(0, 1, 3);
	assert_int_equal(told[1], 1); /* one still queued */
	take(1, NULL);
	take(1, NULL);
	send_port(0, 1, 4);
	assert_int_equal(told[1], 2);
	vsw_flush(&port[1]);
	assert_false(vsw_pending(&port[1]));
	send_port(0, 1, 5);
	assert_int_equal(told[1], 3);
}

/* The checksum metadata travels with the frame; vsw_csum_fill computes RFC 1071's sum over
 * csum_start..end with the pseudo-header's partial sum already in the field (as Linux leaves
 * it), an odd length padded with zero, and refuses offsets outside the frame. */
static void test_csum(void **state)
{
	(void)state;
	send_port(1, 0, 0);
	drain_all();
	static u8 f[64], out[VSW_FRAME_MAX];
	memset(f, 0, sizeof(f));
	mac_of(1, f);
	mac_of(0, f + 6);
	/* a 9-byte "segment" at 20 with its checksum field at 20 + 6 seeded with 0x1234 */
	const u8 seg[9] = {0x45, 0x00, 0x00, 0x1c, 0xab, 0xcd, 0x12, 0x34, 0x99};
	memcpy(f + 20, seg, sizeof(seg));
	struct vsw_meta m = {.needs_csum = true, .csum_start = 20, .csum_offset = 6}, got;
	assert_int_equal(vsw_send(&port[0], &m, f, 29), 1);
	assert_int_equal(vsw_recv(&port[1], &got, out), 29);
	assert_true(got.needs_csum);
	assert_int_equal(got.csum_start, 20);
	assert_int_equal(got.csum_offset, 6);
	assert_true(vsw_csum_fill(out, 29, &got));
	/* 0x4500 + 0x001c + 0xabcd + 0x1234 + 0x9900 = 0x19c1d -> 0x9c1e -> ~ = 0x63e1 */
	assert_int_equal(out[26], 0x63);
	assert_int_equal(out[27], 0xe1);
	/* the receiver's check: the segment with its checksum, plus the pseudo-header's sum (the
	 * seed), is all ones */
	u32 sum = 0x1234;
	for (u32 i = 20; i < 29; i += 2)
		sum += (u32)out[i] << 8 | (i + 1 < 29 ? out[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
	m = (struct vsw_meta){.needs_csum = true, .csum_start = 20, .csum_offset = 8};
	assert_false(vsw_csum_fill(out, 29, &m));
	m.needs_csum = false;
	assert_true(vsw_csum_fill(out, 29, &m)); /* nothing to do */
}

/* A port past VSW_PORTS_MAX is refused with a log line. */
static void test_ports_bound(void **state)
{
	(void)state;
	static struct vswitch big;
	static struct vsw_port many[VSW_PORTS_MAX + 1];
	static u8 r[8];
	vswitch_init(&big, "big");
	for (int i = 0; i < VSW_PORTS_MAX; i++)
		assert_true(vsw_attach(&big, &many[i], "p", r, sizeof(r), receive, NULL));
	assert_false(vsw_attach(&big, &many[VSW_PORTS_MAX], "p", r, sizeof(r), receive, NULL));
	assert_true(log_contains("no port left"));
}

/* Switches are made once per name, up to VSW_SWITCHES_MAX. */
static void test_switch_by_name(void **state)
{
	(void)state;
	struct vswitch *a = vswitch_get("a"), *b = vswitch_get("b");
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(vswitch_get("a"), a);
	assert_string_equal(b->name, "b");
	char name[8] = "s00";
	for (int i = 0; i < VSW_SWITCHES_MAX - 2; i++) {
		name[1] = (char)('0' + i / 10), name[2] = (char)('0' + i % 10);
		assert_non_null(vswitch_get(name));
	}
	assert_null(vswitch_get("onemore"));
	assert_true(log_contains("switch onemore: keel has 16 switches already"));
	assert_ptr_equal(vswitch_get("b"), b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_flood_then_learn, setup),
		cmocka_unit_test_setup(test_group_addresses_flood, setup),
		cmocka_unit_test_setup(test_no_echo, setup),
		cmocka_unit_test_setup(test_ageing, setup),
		cmocka_unit_test_setup(test_address_moves, setup),
		cmocka_unit_test_setup(test_table_full, setup),
		cmocka_unit_test_setup(test_queue_frames_bound, setup),
		cmocka_unit_test_setup(test_queue_bytes_bound_and_wrap, setup),
		cmocka_unit_test_setup(test_bad_frames, setup),
		cmocka_unit_test_setup(test_told_once, setup),
		cmocka_unit_test_setup(test_csum, setup),
		cmocka_unit_test_setup(test_ports_bound, setup),
		cmocka_unit_test_setup(test_switch_by_name, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
