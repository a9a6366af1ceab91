/* CRC-32 and base64 (lib/codec.h). */
#include "lib/codec.h"

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Bit by bit, reflected, polynomial 0xedb88320 (ISO 3309 / IEEE 802.3): small, and fast
 * enough for what crosses a serial line. A table would be 8x faster and 1 KiB. */
u32 crc32(u32 crc, const void *buf, u64 n)
{
	const u8 *p = buf;
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

u64 base64_encode(const void *buf, u64 n, char *out)
{
	const u8 *p = buf;
	u64 o = 0;
	for (u64 i = 0; i < n; i += 3) {
		u32 v = (u32)p[i] << 16;
		if (i + 1 < n)
			v |= (u32)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

s64 base64_decode(const char *text, u64 len, void *out, u64 cap)
{
	u8 *o = out;
	u64 n = 0;
	if (len % 4)
		return -1;
	for (u64 i = 0; i < len; i += 4) {
		int pad = (text[i + 3] == '=') + (text[i + 2] == '=');
		if (pad && i + 4 != len)
			return -1; /* padding only at the end */
		if (pad == 1 && text[i + 2] == '=')
			return -1;
		u32 v = 0;
		for (int k = 0; k < 4 - pad; k++) {
			int d = b64val(text[i + k]);
			if (d < 0)
				return -1;
			v |= (u32)d << (18 - 6 * k);
		}
		for (int k = 0; k < 3 - pad; k++) {
			if (n == cap)
				return -1;
			o[n++] = (u8)(v >> (16 - 8 * k));
		}
	}
	return (s64)n;
}
