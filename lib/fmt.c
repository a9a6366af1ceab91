/* printf-style formatting for keel's log; see fmt.h for what it supports. */
#include "lib/fmt.h"

struct out {
	char *buf;
	size_t n;   /* capacity, NUL included */
	size_t len; /* characters produced so far, even past n */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->n)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int count)
{
	while (count-- > 0)
		put(o, c);
}

/* Emit s (length len) inside a field of width w: right-aligned unless left is set. */
static void field(struct out *o, const char *s, int len, int w, bool left, char padc)
{
	if (!left)
		pad(o, padc, w - len);
	for (int i = 0; i < len; i++)
		put(o, s[i]);
	if (left)
		pad(o, ' ', w - len);
}

static bool v_nonzero(const char *digits, int len)
{
	for (int i = 0; i < len; i++)
		if (digits[i] != '0')
			return true;
	return false;
}

static void number(struct out *o, u64 v, bool neg, unsigned base, bool upper, int w, int prec,
		   bool left, bool zero, bool alt)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int len = 0;

	do {
		tmp[len++] = digits[v % base];
		v /= base;
	} while (v);
	if (prec == 0 && len == 1 && tmp[0] == '0')
		len = 0; /* C: "%.0d" of zero prints nothing */
	while (len < prec)
		tmp[len++] = '0';
	/* '#': 0x before a non-zero hex number, a leading 0 for octal (C 7.21.6.1). */
	bool prefix = alt && base == 16 && v_nonzero(tmp, len);
	if (alt && base == 8 && (len == 0 || tmp[len - 1] != '0'))
		tmp[len++] = '0';
	int total = len + (neg ? 1 : 0) + (prefix ? 2 : 0);
	bool zpad = zero && !left && prec < 0;
	if (!left && !zpad)
		pad(o, ' ', w - total);
	if (neg)
		put(o, '-');
	if (prefix) {
		put(o, '0');
		put(o, upper ? 'X' : 'x');
	}
	if (zpad)
		pad(o, '0', w - total);
	while (len)
		put(o, tmp[--len]);
	if (left)
		pad(o, ' ', w - total);
}

int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = {buf, n, 0};

	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		bool left = false, zero = false, alt = false;
		int w = 0, prec = -1, lng = 0;
		for (;; p++) {
			if (p[1] == '-')
				left = true;
			else if (p[1] == '0')
				zero = true;
			else if (p[1] == '#')
				alt = true;
			else
				break;
		}
		p++;
		if (*p == '*') {
			w = va_arg(ap, int);
			if (w < 0) {
				left = true;
				w = -w;
			}
			p++;
		}
		while (*p >= '0' && *p <= '9')
			w = w * 10 + (*p++ - '0');
		if (*p == '.') {
			p++;
			prec = 0;
			if (*p == '*') {
				prec = va_arg(ap, int);
				p++;
			}
			while (*p >= '0' && *p <= '9')
				prec = prec * 10 + (*p++ - '0');
		}
		for (;; p++) {
			if (*p == 'l')
				lng++;
			else if (*p == 'z')
				lng = 2;
			else if (*p != 'h')
				break;
		}

		u64 u;
		s64 s;
		switch (*p) {
		case 'd':
		case 'i':
			s = lng ? va_arg(ap, s64) : va_arg(ap, int);
			u = s < 0 ? 0 - (u64)s : (u64)s;
			number(&o, u, s < 0, 10, false, w, prec, left, zero, false);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			u = lng ? va_arg(ap, u64) : va_arg(ap, unsigned);
			number(&o, u, false,
			       *p == 'u'   ? 10
			       : *p == 'o' ? 8
					   : 16,
			       *p == 'X', w, prec, left, zero, alt);
			break;
		case 'p':
			number(&o, (u64)(uintptr_t)va_arg(ap, void *), false, 16, false, w, prec,
			       left, zero, true);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);
			field(&o, &c, 1, w, left, ' ');
			break;
		}
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			int len = 0;
			while (str[len] && (prec < 0 || len < prec))
				len++;
			field(&o, str, len, w, left, ' ');
			break;
		}
		case '%': put(&o, '%'); break;
		case '\0':
			p--; /* a lone '%' at the end: print nothing, stop at the NUL */
			break;
		default: /* unknown conversion: show it as written */
			put(&o, '%');
			put(&o, *p);
			break;
		}
	}
	if (n)
		buf[o.len < n ? o.len : n - 1] = '\0';
	return (int)o.len;
}

int fmt_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = fmt_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}
