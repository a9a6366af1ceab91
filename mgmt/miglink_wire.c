/* The link's frames as bytes (mgmt/miglink_wire.h). */
#include "mgmt/miglink_wire.h"
#include "lib/string.h"

/* Big-endian stores and loads of n bytes. */
static void put(u8 *p, u64 v, u32 n)
{
	for (u32 i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * (n - 1 - i)));
}

static u64 get(const u8 *p, u32 n)
{
	u64 v = 0;
	for (u32 i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

u32 ml_encode(const struct hmac_sha256 *key, const struct ml_hdr *h, const void *payload, u8 *frame)
{
	memcpy(frame, h->dst, 6);
	memcpy(frame + 6, h->src, 6);
	put(frame + 12, ML_ETHERTYPE, 2);
	u8 *p = frame + ML_ETH;
	p[0] = ML_VERSION;
	p[1] = h->type;
	p[2] = h->flags;
	p[3] = 0;
	put(p + 4, h->stream, 4);
	put(p + 8, h->nonce, 8);
	put(p + 16, h->seq, 4);
	put(p + 20, h->ack, 4);
	put(p + 24, h->len, 2);
	put(p + 26, 0, 2);
	if (h->len)
		memcpy(p + ML_HDR, payload, h->len);
	u32 n = ML_ETH + ML_HDR + h->len;
	u8 mac[SHA256_LEN];
	hmac_sha256(key, frame, n, NULL, 0, mac);
	memcpy(frame + n, mac, ML_MAC);
	return n + ML_MAC;
}

enum ml_status ml_decode(const struct hmac_sha256 *key, const u8 *frame, u32 len, struct ml_hdr *h,
			 const u8 **payload)
{
	if (len < ML_ETH + ML_HDR + ML_MAC || get(frame + 12, 2) != ML_ETHERTYPE ||
	    frame[ML_ETH] != ML_VERSION)
		return ML_NOT_OURS;
	const u8 *p = frame + ML_ETH;
	memcpy(h->dst, frame, 6);
	memcpy(h->src, frame + 6, 6);
	h->type = p[1];
	h->flags = p[2];
	h->stream = (u32)get(p + 4, 4);
	h->nonce = get(p + 8, 8);
	h->seq = (u32)get(p + 16, 4);
	h->ack = (u32)get(p + 20, 4);
	h->len = (u16)get(p + 24, 2);
	/* Ethernet pads short frames to 60 bytes: more than the lengths say is fine, less not. */
	u32 n = ML_ETH + ML_HDR + h->len;
	if (h->len > ML_PAYLOAD_MAX || n + ML_MAC > len)
		return ML_MALFORMED;
	*payload = p + ML_HDR;
	if (!key)
		return ML_BAD_MAC;
	u8 mac[SHA256_LEN];
	hmac_sha256(key, frame, n, NULL, 0, mac);
	return mac_equal(mac, frame + n, ML_MAC) ? ML_OK : ML_BAD_MAC;
}

int ml_reasm_add(struct ml_reasm *r, const u8 *p, u32 n, bool end)
{
	if (n > MIGLINK_MSG_MAX - r->len) {
		r->len = 0;
		return -1;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	return end ? 1 : 0;
}
