/* SHA-256 and HMAC-SHA-256 (lib/sha256.h), written from FIPS 180-4 and RFC 2104. */
#include "lib/sha256.h"
#include "lib/string.h"

/* FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes. */
static const u32 k256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

/* FIPS 180-4 section 3.2: ROTR^n. */
static inline u32 rotr(u32 x, u32 n)
{
	return (x >> n) | (x << (32 - n));
}

/* FIPS 180-4 section 6.2.2: one 512-bit block into the hash value. */
static void compress(u32 h[8], const u8 *p)
{
	u32 w[64];
	for (u32 t = 0; t < 16; t++)
		w[t] = (u32)p[4 * t] << 24 | (u32)p[4 * t + 1] << 16 | (u32)p[4 * t + 2] << 8 |
		       p[4 * t + 3];
	for (u32 t = 16; t < 64; t++) {
		u32 s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
		u32 s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (u32 t = 0; t < 64; t++) {
		u32 t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
			 k256[t] + w[t];
		u32 t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

/* FIPS 180-4 section 5.3.3: the initial hash value. */
void sha256_init(struct sha256 *s)
{
	static const u32 h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
	s->fill = 0;
}

void sha256_update(struct sha256 *s, const void *data, u64 n)
{
	const u8 *p = data;
	s->len += n;
	while (n) {
		if (!s->fill && n >= SHA256_BLOCK) {
			compress(s->h, p);
			p += SHA256_BLOCK;
			n -= SHA256_BLOCK;
			continue;
		}
		u32 take = (u32)MIN((u64)(SHA256_BLOCK - s->fill), n);
		memcpy(s->buf + s->fill, p, take);
		s->fill += take;
		p += take;
		n -= take;
		if (s->fill == SHA256_BLOCK) {
			compress(s->h, s->buf);
			s->fill = 0;
		}
	}
}

/* FIPS 180-4 section 5.1.1: a 1 bit, zeros, then the length in bits as 64 bits big-endian. */
void sha256_final(struct sha256 *s, u8 out[SHA256_LEN])
{
	u64 bits = s->len * 8;
	u8 pad[SHA256_BLOCK + 8] = {0x80};
	u32 padlen = (s->fill < 56 ? 56 : 120) - s->fill;
	for (u32 i = 0; i < 8; i++)
		pad[padlen + i] = (u8)(bits >> (56 - 8 * i));
	sha256_update(s, pad, padlen + 8);
	for (u32 i = 0; i < 8; i++)
		for (u32 j = 0; j < 4; j++)
			out[4 * i + j] = (u8)(s->h[i] >> (24 - 8 * j));
}

void sha256(const void *data, u64 n, u8 out[SHA256_LEN])
{
	struct sha256 s;
	sha256_init(&s);
	sha256_update(&s, data, n);
	sha256_final(&s, out);
}

/* RFC 2104 section 2: a key longer than the block is hashed first; K is zero-padded to the
 * block, and the inner and outer hashes start with K^0x36.. and K^0x5c.. */
void hmac_sha256_key(struct hmac_sha256 *k, const void *key, u64 keylen)
{
	u8 kb[SHA256_BLOCK] = {0}, pad[SHA256_BLOCK];
	if (keylen > SHA256_BLOCK)
		sha256(key, keylen, kb);
	else if (keylen)
		memcpy(kb, key, keylen);
	for (u32 i = 0; i < SHA256_BLOCK; i++)
		pad[i] = kb[i] ^ 0x36;
	sha256_init(&k->inner);
	sha256_update(&k->inner, pad, SHA256_BLOCK);
	for (u32 i = 0; i < SHA256_BLOCK; i++)
		pad[i] = kb[i] ^ 0x5c;
	sha256_init(&k->outer);
	sha256_update(&k->outer, pad, SHA256_BLOCK);
}

/* RFC 2104 section 2: H(K^opad, H(K^ipad, text)). */
void hmac_sha256(const struct hmac_sha256 *k, const void *a, u64 alen, const void *b, u64 blen,
		 u8 out[SHA256_LEN])
{
	struct sha256 s = k->inner;
	u8 ih[SHA256_LEN];
	sha256_update(&s, a, alen);
	sha256_update(&s, b, blen);
	sha256_final(&s, ih);
	s = k->outer;
	sha256_update(&s, ih, SHA256_LEN);
	sha256_final(&s, out);
}

bool mac_equal(const u8 *a, const u8 *b, u32 n)
{
	u8 d = 0;
	for (u32 i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}
