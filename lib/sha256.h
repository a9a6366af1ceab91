/* SHA-256 (FIPS 180-4 section 6.2) and HMAC-SHA-256 (RFC 2104), for the MAC on every frame
 * between two keels (mgmt/miglink.c). Pure C, no state outside the context. */
#ifndef KEEL_SHA256_H
#define KEEL_SHA256_H

#include "lib/types.h"

#define SHA256_LEN   32 /* the digest */
#define SHA256_BLOCK 64 /* the message block, FIPS 180-4 section 1 */

struct sha256 {
	u32 h[8];
	u64 len; /* bytes hashed so far */
	u8 buf[SHA256_BLOCK];
	u32 fill; /* bytes waiting in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, u64 n);
void sha256_final(struct sha256 *s, u8 out[SHA256_LEN]);
/* The digest of n bytes in one call. */
void sha256(const void *data, u64 n, u8 out[SHA256_LEN]);

/* HMAC-SHA-256 keyed once (RFC 2104 section 2: the key's inner and outer pads hashed ahead),
 * then used for any number of messages. */
struct hmac_sha256 {
	struct sha256 inner, outer; /* after K^ipad, K^opad */
};

void hmac_sha256_key(struct hmac_sha256 *k, const void *key, u64 keylen);
/* The MAC of a message given in two parts (a header and a payload; either may be empty). */
void hmac_sha256(const struct hmac_sha256 *k, const void *a, u64 alen, const void *b, u64 blen,
		 u8 out[SHA256_LEN]);
/* a == b over n bytes, in a time that does not depend on where they differ. */
bool mac_equal(const u8 *a, const u8 *b, u32 n);

#endif
