/* Guest output on keel's log (guestout.h). The rule for bytes: a terminal acts on C0
 * controls (ESC starts a sequence), DEL and the 8-bit C1 controls 0x80-0x9f (0x9b is CSI,
 * 0x9d OSC; ECMA-48 section 5.3), and a UTF-8 terminal also on C1 written as U+0080-U+009F.
 * All of those become '.'. Well-formed UTF-8 for U+00A0 and above passes, so guests can print
 * text in any language; a stray byte >= 0x80 (not well-formed UTF-8) becomes '.'. */
#include "vm/guestout.h"
#include "lib/string.h"
#include "kernel/log.h"

/* The length of the well-formed UTF-8 sequence at s for a code point >= U+00A0 (RFC 3629
 * section 4: no overlong forms, no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_ok(const u8 *s, size_t n)
{
	u8 c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, lo = c == 0xc2 ? 0xa0 : 0x80; /* C2 80..C2 9F: the C1 controls */
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

void guest_text_clean(char *s, size_t n)
{
	u8 *b = (u8 *)s;
	for (size_t i = 0; i < n; i++) {
		if (b[i] >= 0x80) {
			size_t k = utf8_ok(b + i, n - i);
			if (k) {
				i += k - 1; /* a whole character, left as it is */
				continue;
			}
			b[i] = '.';
		} else if ((b[i] < 0x20 && b[i] != '\t') || b[i] == 0x7f) {
			b[i] = '.';
		}
	}
}

/* Where to end a piece of a full line: before a UTF-8 character it would cut short. */
static size_t cut(const struct guest_line *l)
{
	const u8 *b = (const u8 *)l->buf;
	for (size_t j = l->len; j > 0 && j + 4 > l->len; j--) {
		size_t want = b[j - 1] >= 0xf0	 ? 4
			      : b[j - 1] >= 0xe0 ? 3
			      : b[j - 1] >= 0xc0 ? 2
						 : 0;
		if (b[j - 1] < 0x80 || want)
			return want > l->len - (j - 1) ? j - 1 : l->len;
	}
	return l->len;
}

/* Log the first n bytes of the line, marked as a continuation if a piece went before. */
static void emit(struct guest_line *l, const char *name, size_t n)
{
	guest_text_clean(l->buf, n);
	log_info("[%s]%s %.*s", name, l->more ? "+" : "", (int)n, l->buf);
	memmove(l->buf, l->buf + n, l->len - n);
	l->len = (u16)(l->len - n);
}

void guest_line_put(struct guest_line *l, const char *name, const u8 *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			emit(l, name, l->len);
			l->more = false;
			continue;
		}
		if (s[i] == '\r')
			continue;
		if (l->len == GUEST_LINE_MAX) { /* only now: a line of exactly the maximum is one */
			emit(l, name, cut(l));
			l->more = true;
		}
		l->buf[l->len++] = (char)s[i];
	}
}

void guest_line_flush(struct guest_line *l, const char *name)
{
	if (l->len)
		emit(l, name, l->len);
	l->more = false;
}
