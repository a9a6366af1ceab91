/* Snapshot files (mgmt/snapfile.c) and their codecs (lib/codec.c): CRC-32 and base64 against
 * known values, a file written and read back, and every way a file can be truncated,
 * corrupted or foreign refused with a reason. */
#include "tests/unit/fakes.h"
#include "lib/codec.h"
#include "mgmt/snapfile.h"
#include <string.h>

/* The CRC-32 check value (the "123456789" test vector of the CRC catalogue). */
static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(crc32(crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
	assert_int_equal(crc32(0, "", 0), 0);
}

/* RFC 4648 section 10's test vectors, both ways, and bad text refused. */
static void test_base64(void **state)
{
	(void)state;
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const enc[] = {"",	      "Zg==",	  "Zm8=",    "Zm9v",
					  "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	for (int i = 0; i < 7; i++) {
		char out[16];
		u8 back[16];
		assert_int_equal(base64_encode(plain[i], strlen(plain[i]), out), strlen(enc[i]));
		assert_string_equal(out, enc[i]);
		s64 n = base64_decode(enc[i], strlen(enc[i]), back, sizeof(back));
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(back, plain[i], (size_t)n);
	}
	u8 b[8];
	assert_int_equal(base64_decode("Zm9", 3, b, 8), -1);	  /* not a multiple of 4 */
	assert_int_equal(base64_decode("Zm=v", 4, b, 8), -1);	  /* padding inside */
	assert_int_equal(base64_decode("Zg==Zm9v", 8, b, 8), -1); /* padding before the end */
	assert_int_equal(base64_decode("Zm9*", 4, b, 8), -1);	  /* not base64 */
	assert_int_equal(base64_decode("Zm9vYmFy", 8, b, 5), -1); /* does not fit */
}

static u8 file[64 * 1024];
static u8 page[8 + 4096];

/* A small valid file: 2 vCPUs, 8 MiB, two pages. */
static u64 build(void)
{
	u64 at = 0;
	struct snapf_header h = {.nvcpus = 2, .flags = SNAPF_RNG, .ram = 8 << 20, .nnics = 1};
	memcpy(h.format, "keelsnap", 8);
	strcpy(h.vm, "a");
	strcpy(h.tag, "t1");
	strcpy(h.sw[0], "lan");
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_HEADER, &h, sizeof(h)));
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_VCPUS, "vcpus", 5));
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_DEVICES, "devs", 4));
	for (u64 i = 0; i < 2; i++) {
		u64 gpa = i * 0x100000;
		memcpy(page, &gpa, 8);
		memset(page + 8, (int)(0x11 * (i + 1)), 4096);
		assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_PAGE, page, sizeof(page)));
	}
	struct snapf_end e = {5, 2};
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_END, &e, sizeof(e)));
	return at;
}

static u64 seen_gpa[4], nseen;
static void count_page(void *ctx, u64 gpa, const u8 *data)
{
	(void)ctx;
	assert_int_equal(data[100], (u8)(0x11 * (nseen + 1)));
	seen_gpa[nseen++] = gpa;
}

static void test_roundtrip(void **state)
{
	(void)state;
	u64 len = build();
	struct snapf_view v;
	assert_null(snapfile_parse(file, len, &v));
	assert_int_equal(v.h.nvcpus, 2);
	assert_int_equal(v.pages, 2);
	assert_int_equal(v.vcpus_len, 5);
	assert_memory_equal(v.devs, "devs", 4);
	nseen = 0;
	snapfile_pages(file, len, count_page, NULL);
	assert_int_equal(nseen, 2);
	assert_int_equal(seen_gpa[1], 0x100000);
}

/* Every prefix of the file is refused, and so is every single flipped byte. */
static void test_truncated_and_corrupted(void **state)
{
	(void)state;
	u64 len = build();
	struct snapf_view v;
	for (u64 n = 0; n < len; n += n < 300 ? 1 : 97)
		assert_non_null(snapfile_parse(file, n, &v));
	for (u64 i = 0; i < len; i += i < 300 ? 1 : 101) {
		file[i] ^= 0x40;
		assert_non_null(snapfile_parse(file, len, &v));
		file[i] ^= 0x40;
	}
	assert_null(snapfile_parse(file, len, &v));
}

/* Well-formed records that say the wrong things: a page outside RAM, a missing page, records
 * out of order, a foreign header. */
static void test_lies(void **state)
{
	(void)state;
	struct snapf_view v;
	u64 at = 0;
	struct snapf_header h = {.nvcpus = 1, .ram = 1 << 20};
	memcpy(h.format, "keelsnap", 8);
	strcpy(h.vm, "a");
	strcpy(h.tag, "t");
	u64 gpa = 1 << 20; /* just past the end of RAM */
	memcpy(page, &gpa, 8);
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_HEADER, &h, sizeof(h)));
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_VCPUS, "v", 1));
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_DEVICES, "d", 1));
	u64 before_page = at;
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_PAGE, page, sizeof(page)));
	struct snapf_end e = {4, 1};
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_END, &e, sizeof(e)));
	assert_string_equal(snapfile_parse(file, at, &v),
			    "a page record's address is outside the VM's RAM");
	at = before_page; /* no page, but the end record counts one */
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_END, &e, sizeof(e)));
	assert_non_null(snapfile_parse(file, at, &v));
	at = 0; /* devices before vCPUs */
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_HEADER, &h, sizeof(h)));
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_DEVICES, "d", 1));
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_VCPUS, "v", 1));
	assert_non_null(snapfile_parse(file, at, &v));
	at = 0;
	h.nvcpus = 99;
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_HEADER, &h, sizeof(h)));
	assert_string_equal(snapfile_parse(file, at, &v),
			    "the snapshot's vCPU count is out of range");
	assert_non_null(snapfile_parse((const u8 *)"{\"QMP\": 1}\n", 11, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),	  cmocka_unit_test(test_base64),
		cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_truncated_and_corrupted),
		cmocka_unit_test(test_lies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
