/* lib/sha256.c on FIPS 180-4's examples (NIST's SHA-256 example values) and RFC 4231's
 * HMAC-SHA-256 test cases. */
#include "tests/unit/fakes.h"
#include "lib/sha256.h"

#include <stdio.h>
#include <string.h>

/* The digest as lower-case hex, compared with want's first strlen(want)/2 bytes. */
static void check(const u8 *d, const char *want)
{
	char hex[2 * SHA256_LEN + 1];
	for (u32 i = 0; i < SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	hex[strlen(want)] = 0;
	assert_string_equal(hex, want);
}

static void test_fips(void **state)
{
	(void)state;
	u8 d[SHA256_LEN];
	sha256("abc", 3, d);
	check(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha256(two, strlen(two), d);
	check(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	sha256("", 0, d);
	check(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* A million 'a' fed in odd-sized pieces: the buffering across blocks. */
static void test_million(void **state)
{
	(void)state;
	static u8 a[1000];
	memset(a, 'a', sizeof(a));
	struct sha256 s;
	sha256_init(&s);
	u32 done = 0, step = 1;
	while (done < 1000000) {
		u32 n = step % 997 + 1;
		if (n > 1000000 - done)
			n = 1000000 - done;
		sha256_update(&s, a, n);
		done += n;
		step = step * 31 + 7;
	}
	u8 d[SHA256_LEN];
	sha256_final(&s, d);
	check(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* One RFC 4231 case: the key repeated byte kb (klen bytes, or key if given), the data. */
static void hmac_case(const u8 *key, u32 klen, const void *data, u32 dlen, const char *want)
{
	struct hmac_sha256 k;
	u8 d[SHA256_LEN];
	hmac_sha256_key(&k, key, klen);
	hmac_sha256(&k, data, dlen, NULL, 0, d);
	check(d, want);
	/* the same split in two parts */
	hmac_sha256(&k, data, dlen / 2, (const u8 *)data + dlen / 2, dlen - dlen / 2, d);
	check(d, want);
}

static void test_rfc4231(void **state)
{
	(void)state;
	u8 k[131], m[152];
	memset(k, 0x0b, 20);
	hmac_case(k, 20, "Hi There", 8,
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	hmac_case((const u8 *)"Jefe", 4, "what do ya want for nothing?", 28,
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k, 0xaa, 20);
	memset(m, 0xdd, 50);
	hmac_case(k, 20, m, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	for (u32 i = 0; i < 25; i++)
		k[i] = (u8)(i + 1);
	memset(m, 0xcd, 50);
	hmac_case(k, 25, m, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	memset(k, 0x0c, 20);
	hmac_case(k, 20, "Test With Truncation", 20, "a3b6167473100ee06e0c796c2955552b");
	memset(k, 0xaa, 131);
	const char *t6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	hmac_case(k, 131, t6, (u32)strlen(t6),
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	const char *t7 = "This is a test using a larger than block-size key and a larger than "
			 "block-size data. The key needs to be hashed before being used by the "
			 "HMAC algorithm.";
	hmac_case(k, 131, t7, (u32)strlen(t7),
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void test_mac_equal(void **state)
{
	(void)state;
	u8 a[16] = {1, 2, 3}, b[16] = {1, 2, 3};
	assert_true(mac_equal(a, b, 16));
	b[15] = 1;
	assert_false(mac_equal(a, b, 16));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips),
		cmocka_unit_test(test_million),
		cmocka_unit_test(test_rfc4231),
		cmocka_unit_test(test_mac_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
