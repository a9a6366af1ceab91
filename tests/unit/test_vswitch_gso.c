/* Segmentation across keel's switch (vm/vswitch_gso.c): a TCP segment larger than the MTU
 * reaches a port that takes GSO whole, with its header lengths found, and any other port cut
 * into MTU-sized segments whose IP lengths, IPv4 IDs and header checksums, TCP sequence
 * numbers, flags and checksums are each right (checked here by an independent sum); a GSO
 * request whose headers keel cannot read, or that asks for segments larger than the MTU, is
 * refused and counted; a tiny gso_size stops at the queue's bound. */
#include "tests/unit/fakes_vdev.h"
#include "vm/vswitch.h"

#include <string.h>

#define NPORTS 3
static struct vswitch sw;
static struct vsw_port port[NPORTS];
static u8 ring[NPORTS][VSW_QUEUE_BYTES];
static u8 f[VSW_GSO_MAX], out[VSW_GSO_MAX];

// cppcheck-suppress constParameter ; the switch's receive functions take a port they may change
static void receive(struct vsw_port *p)
{
	(void)p;
}

static int setup(void **state)
{
	(void)state;
	fake_now = 1000000;
	fake_khz = 3000000;
	log_reset();
	vswitch_init(&sw, "lan");
	for (int i = 0; i < NPORTS; i++) {
		char name[8] = {'v', 'm', (char)('a' + i), '.', '0'};
		assert_true(
			vsw_attach(&sw, &port[i], name, ring[i], sizeof(ring[i]), receive, NULL));
	}
	port[2].gso = 1u << VSW_GSO_TCPV4 | 1u << VSW_GSO_TCPV6;
	return 0;
}

static u32 get16(const u8 *p)
{
	return (u32)p[0] << 8 | p[1];
}

/* RFC 1071 sum of n bytes added to acc, folded. */
static u32 fold(const u8 *p, u32 n, u32 acc)
{
	for (u32 i = 0; i < n; i++)
		acc += (i & 1) ? p[i] : (u32)p[i] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return acc;
}

/* A broadcast TCP frame over IPv4 (v6 false) or IPv6 with a 32-byte TCP header (options),
 * pay bytes of payload, the flags CWR, PSH, FIN and ACK: its length. */
static u32 build(bool v6, u32 pay)
{
	memset(f, 0, sizeof(f));
	memset(f, 0xff, 6);
	const u8 src[6] = {2, 0, 0, 0, 0, 1};
	memcpy(f + 6, src, 6);
	u32 l4 = v6 ? 54 : 34;
	if (v6) {
		f[12] = 0x86, f[13] = 0xdd, f[14] = 0x60, f[20] = 6, f[21] = 64;
		for (int i = 0; i < 32; i++)
			f[22 + i] = (u8)(0xfe + i);
	} else {
		f[12] = 0x08, f[14] = 0x45, f[18] = 0x12, f[19] = 0x34, f[20] = 0x40; /* ID, DF */
		f[22] = 64, f[23] = 6;
		const u8 a[8] = {10, 0, 0, 1, 10, 0, 0, 2};
		memcpy(f + 26, a, 8);
	}
	u8 *t = f + l4;
	t[0] = 0x12, t[2] = 0x13, t[4] = 0xff, t[5] = 0xff, t[6] = 0xff, t[7] = 0x00; /* wraps */
	t[12] = 8 << 4, t[13] = 0x80 | 0x10 | 0x08 | 0x01;
	for (u32 i = 0; i < pay; i++)
		f[l4 + 32 + i] = (u8)(i * 7 + i / 251);
	return l4 + 32 + pay;
}

static u32 send(u8 type, u16 gso_size, u32 len)
{
	u16 l4 = type == VSW_GSO_TCPV6 ? 54 : 34;
	struct vsw_meta m = {.needs_csum = true,
			     .csum_start = l4,
			     .csum_offset = 16,
			     .gso_type = type,
			     .gso_size = gso_size};
	return vsw_send(&port[0], &m, f, len);
}

/* Check segment i of a frame cut at mss bytes of payload, as port 1 took it. */
static void check_segment(bool v6, u32 i, u32 mss, u32 pay)
{
	struct vsw_meta m;
	u32 l4 = v6 ? 54 : 34, hdr = l4 + 32, n = MIN(mss, pay - i * mss);
	bool last = (i + 1) * mss >= pay;
	assert_int_equal(vsw_recv(&port[1], &m, out), hdr + n);
	assert_false(m.needs_csum);
	assert_int_equal(m.gso_type, 0);
	assert_memory_equal(out + hdr, f + hdr + i * mss, n);
	u32 pseudo;
	if (v6) {
		assert_int_equal(get16(out + 18), 32 + n);
		pseudo = fold(out + 22, 32, 6 + 32 + n);
	} else {
		assert_int_equal(get16(out + 16), 20 + 32 + n);
		assert_int_equal(get16(out + 18), 0x1234 + i);
		assert_int_equal(fold(out + 14, 20, 0), 0xffff);
		pseudo = fold(out + 26, 8, 6 + 32 + n);
	}
	const u8 *t = out + l4;
	u32 seq = (u32)t[4] << 24 | (u32)t[5] << 16 | (u32)t[6] << 8 | t[7];
	assert_int_equal(seq, 0xffffff00u + i * mss);
	assert_int_equal(t[13] & 0x80, i ? 0 : 0x80);	 /* CWR: the first only */
	assert_int_equal(t[13] & 0x09, last ? 0x09 : 0); /* PSH, FIN: the last only */
	assert_int_equal(t[13] & 0x10, 0x10);
	assert_int_equal(fold(t, 32 + n, pseudo), 0xffff);
}

static void cut_and_whole(bool v6)
{
	u32 pay = 4000, mss = 1400, len = build(v6, pay);
	u8 type = v6 ? VSW_GSO_TCPV6 : VSW_GSO_TCPV4;
	assert_int_equal(send(type, (u16)mss, len), 2);
	assert_int_equal(port[1].q.frames, 3);
	for (u32 i = 0; i < 3; i++)
		check_segment(v6, i, mss, pay);
	struct vsw_meta m;
	assert_int_equal(vsw_recv(&port[2], &m, out), len);
	assert_memory_equal(out, f, len);
	assert_int_equal(m.gso_type, type);
	assert_int_equal(m.gso_size, mss);
	assert_int_equal(m.hdr_len, (v6 ? 54 : 34) + 32);
	assert_true(m.needs_csum);
	assert_int_equal(port[1].rx, 3);
	assert_int_equal(port[2].rx, 1);
}

static void test_ipv4(void **state)
{
	(void)state;
	cut_and_whole(false);
}

static void test_ipv6(void **state)
{
	(void)state;
	cut_and_whole(true);
}

/* The largest IP packet as one GSO frame: 47 segments for a port without GSO. */
static void test_largest(void **state)
{
	(void)state;
	u32 len = build(true, VSW_GSO_MAX - 54 - 32);
	assert_int_equal(len, VSW_GSO_MAX);
	assert_int_equal(send(VSW_GSO_TCPV6, 1428, len), 2);
	assert_int_equal(port[1].q.frames, (VSW_GSO_MAX - 86 + 1427) / 1428);
	assert_int_equal(send(VSW_GSO_TCPV6, 1428, len + 1), 0);
	assert_int_equal(port[0].errors, 1);
}

/* Headers keel cannot cut by are refused, whatever the driver's hdr_len said. */
static void test_refused(void **state)
{
	(void)state;
	u32 len = build(false, 3000), errors = 0;
	assert_int_equal(send(VSW_GSO_TCPV6, 1400, len), 0); /* IPv4 under a v6 type */
	assert_int_equal(send(3, 1400, len), 0);	     /* UDP: not offered */
	assert_int_equal(send(VSW_GSO_TCPV4, 0, len), 0);
	assert_int_equal(send(VSW_GSO_TCPV4, 1500, len), 0); /* segments over the MTU */
	errors += 4;
	struct vsw_meta m = {.needs_csum = false, .gso_type = VSW_GSO_TCPV4, .gso_size = 1400};
	assert_int_equal(vsw_send(&port[0], &m, f, len), 0);
	m = (struct vsw_meta){true, 34, 6, VSW_GSO_TCPV4, 1400, 0}; /* a UDP-like offset */
	assert_int_equal(vsw_send(&port[0], &m, f, len), 0);
	errors += 2;
	f[20] = 0x20; /* more fragments */
	assert_int_equal(send(VSW_GSO_TCPV4, 1400, len), 0);
	f[20] = 0x40, f[23] = 17; /* UDP */
	assert_int_equal(send(VSW_GSO_TCPV4, 1400, len), 0);
	f[23] = 6, f[14] = 0x44; /* IHL 4 */
	assert_int_equal(send(VSW_GSO_TCPV4, 1400, len), 0);
	f[14] = 0x45, f[34 + 12] = 4 << 4; /* a TCP header of 16 bytes */
	assert_int_equal(send(VSW_GSO_TCPV4, 1400, len), 0);
	f[34 + 12] = 15 << 4; /* 60 bytes: past a frame of headers only */
	assert_int_equal(send(VSW_GSO_TCPV4, 1400, 34 + 40), 0);
	assert_int_equal(send(VSW_GSO_TCPV4, 1400, 30), 0); /* runt for its headers */
	errors += 6;
	assert_int_equal(port[0].errors, errors);
	assert_int_equal(port[1].rx + port[2].rx, 0);
}

/* A hostile gso_size of 1: the segments stop at the queue's bound, the rest counted lost. */
static void test_tiny_segments(void **state)
{
	(void)state;
	u32 len = build(false, 60000);
	assert_int_equal(send(VSW_GSO_TCPV4, 1, len), 2);
	assert_int_equal(port[1].q.frames, VSW_QUEUE_FRAMES);
	assert_int_equal(port[1].drops, 1);
	for (u32 i = 0; i < 3; i++)
		check_segment(false, i, 1, 60000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ipv4, setup),
		cmocka_unit_test_setup(test_ipv6, setup),
		cmocka_unit_test_setup(test_largest, setup),
		cmocka_unit_test_setup(test_refused, setup),
		cmocka_unit_test_setup(test_tiny_segments, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
