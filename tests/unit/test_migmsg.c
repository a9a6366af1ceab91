/* A live migration's messages (mgmt/migmsg.h) and the checks the destination makes before it
 * builds anything: headers written and read back, every malformed header refused, the HELLO's
 * header checked on its own (snapfile_check_header), and the records' file the source sends
 * at the end (a snapshot file with no pages) accepted whole by snapfile_parse, and refused
 * when a piece is missing or corrupted. */
#include "tests/unit/fakes.h"
#include "mgmt/migmsg.h"
#include <string.h>

static u8 msg[64];

/* Every type round-trips with its length; the payload length must match the message's. */
static void test_header(void **state)
{
	(void)state;
	u32 len;
	for (u16 t = MIGM_HELLO; t <= MIGM_ABORT; t++) {
		migm_put(msg, t, 8);
		assert_int_equal(migm_check(msg, sizeof(struct migm_hdr) + 8, &len), t);
		assert_int_equal(len, 8);
		assert_int_equal(migm_check(msg, sizeof(struct migm_hdr) + 7, &len), 0);
		assert_int_equal(migm_check(msg, sizeof(struct migm_hdr) + 9, &len), 0);
	}
	assert_int_equal(migm_check(msg, 15, &len), 0); /* shorter than a header */
	migm_put(msg, MIGM_ABORT + 1, 0);
	assert_int_equal(migm_check(msg, 16, &len), 0); /* unknown type */
	migm_put(msg, 0, 0);
	assert_int_equal(migm_check(msg, 16, &len), 0);
	migm_put(msg, MIGM_PAGE, 0);
	msg[0] ^= 1; /* magic */
	assert_int_equal(migm_check(msg, 16, &len), 0);
	msg[0] ^= 1;
	msg[6] = 2; /* version */
	assert_int_equal(migm_check(msg, 16, &len), 0);
}

static struct snapf_header good_header(void)
{
	struct snapf_header h = {.nvcpus = 2, .ram = 64 << 20, .nnics = 1};
	memcpy(h.format, "keelsnap", 8);
	strcpy(h.vm, "c");
	strcpy(h.tag, "migration");
	strcpy(h.sw[0], "lan");
	return h;
}

/* The HELLO's header: good, and each field out of range refused. */
static void test_hello_header(void **state)
{
	(void)state;
	struct snapf_header h = good_header();
	assert_null(snapfile_check_header(&h));
	h.nvcpus = 0;
	assert_non_null(snapfile_check_header(&h));
	h = good_header();
	h.ram = 12345;
	assert_non_null(snapfile_check_header(&h));
	h = good_header();
	strcpy(h.vm, "a b");
	assert_non_null(snapfile_check_header(&h));
	h = good_header();
	h.nnics = SNAPF_NICS + 1;
	assert_non_null(snapfile_check_header(&h));
	h = good_header();
	h.flags = 1u << 7;
	assert_non_null(snapfile_check_header(&h));
}

/* The records' file as mgmt/migrate.c builds it: HEADER, VCPUS, DEVICES, END {3, 0}. */
static u64 state_file(u8 *buf, u64 cap, bool with_devices)
{
	struct snapf_header h = good_header();
	struct snapf_end e = {with_devices ? 3 : 2, 0};
	u8 vcpus[40] = {1, 2, 3};
	u64 at = 0;
	assert_true(snapfile_put(buf, cap, &at, SNAPF_HEADER, &h, sizeof(h)));
	assert_true(snapfile_put(buf, cap, &at, SNAPF_VCPUS, vcpus, sizeof(vcpus)));
	if (with_devices) {
		u8 devs[24] = {4, 5};
		assert_true(snapfile_put(buf, cap, &at, SNAPF_DEVICES, devs, sizeof(devs)));
	}
	assert_true(snapfile_put(buf, cap, &at, SNAPF_END, &e, sizeof(e)));
	return at;
}

static void test_state_file(void **state)
{
	(void)state;
	static u8 buf[1024];
	struct snapf_view v;
	u64 n = state_file(buf, sizeof(buf), true);
	assert_null(snapfile_parse(buf, n, &v));
	assert_int_equal(v.pages, 0);
	assert_int_equal(v.vcpus_len, 40);
	assert_int_equal(v.devs_len, 24);
	assert_int_equal(v.h.nvcpus, 2);
	assert_non_null(snapfile_parse(buf, n - 1, &v)); /* a STATE piece lost */
	buf[sizeof(struct snapf_rec) + sizeof(struct snapf_header) + 20] ^= 0x40;
	assert_non_null(snapfile_parse(buf, n, &v)); /* a vCPU record corrupted */
	n = state_file(buf, sizeof(buf), false);
	assert_non_null(snapfile_parse(buf, n, &v)); /* no devices' record */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_hello_header),
		cmocka_unit_test(test_state_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
