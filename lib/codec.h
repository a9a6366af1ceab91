/* Byte codecs: hexadecimal digits; for snapshot files (README "Snapshot format"), CRC-32 (the IEEE 802.3
 * polynomial, as zlib computes it) per record, and base64 (RFC 4648 section 4) to carry them
 * over the management API's text lines. */
#ifndef KEEL_CODEC_H
#define KEEL_CODEC_H

#include "lib/types.h"

/* A hexadecimal digit's value (either case), or -1 (JSON's \u escapes, gdb's packets). */
int hex_digit(char c);
/* CRC-32 of n bytes, continuing from crc (0 to start). */
u32 crc32(u32 crc, const void *buf, u64 n);
/* n bytes as base64 into out (BASE64_LEN(n) + 1 bytes with the NUL): the length written. */
#define BASE64_LEN(n) (((n) + 2) / 3 * 4)
u64 base64_encode(const void *buf, u64 n, char *out);
/* base64 text (len bytes, padded) into out (cap bytes): bytes decoded, or -1 if the text is
 * not base64 or does not fit. */
s64 base64_decode(const char *text, u64 len, void *out, u64 cap);

#endif
