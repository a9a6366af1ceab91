/* Test guest runtime: console, exit, hypercalls, command line, printf. */
#include "rt.h"

const struct mbi *boot_mbi;

void putc(char c)
{
	if (c == '\n')
		putc('\r');
	for (int i = 0; i < 100000 && !(inb(0x3fd) & 0x20); i++)
		;
	outb(0x3f8, (u8)c);
}

void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

void exit(u32 status)
{
	outl(0xf4, status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

bool on_keel(void)
{
	u32 r[4];
	cpuid(0x40000000, 0, r);
	return r[1] == 0x6c65656b && r[2] == 0x6c65656b && r[3] == 0x6c65656b; /* "keel" */
}

bool is_amd(void)
{
	u32 r[4];
	cpuid(0, 0, r);
	return r[1] == 0x68747541; /* "Auth" */
}

u64 hypercall(u64 nr, u64 a1, u64 a2, u64 a3, u64 a4)
{
	u64 ret;
#if defined(__x86_64__)
	if (is_amd())
		__asm__ volatile("vmmcall"
				 : "=a"(ret)
				 : "a"(nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4)
				 : "memory");
	else
		__asm__ volatile("vmcall"
				 : "=a"(ret)
				 : "a"(nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4)
				 : "memory");
#else
	u32 r;
	if (is_amd())
		__asm__ volatile("vmmcall"
				 : "=a"(r)
				 : "a"((u32)nr), "b"((u32)a1), "c"((u32)a2), "d"((u32)a3),
				   "S"((u32)a4)
				 : "memory");
	else
		__asm__ volatile("vmcall"
				 : "=a"(r)
				 : "a"((u32)nr), "b"((u32)a1), "c"((u32)a2), "d"((u32)a3),
				   "S"((u32)a4)
				 : "memory");
	ret = (u64)(int32_t)r;
#endif
	return ret;
}

const char *cmdline(void)
{
	if (boot_mbi && (boot_mbi->flags & 4))
		return (const char *)(uintptr_t)boot_mbi->cmdline;
	return "";
}

/* Find " key=" (or key= at the start) and return a pointer to its value. */
static const char *find(const char *key)
{
	const char *s = cmdline();
	size_t n = strlen(key);
	for (const char *p = s; *p; p++) {
		if ((p == s || p[-1] == ' ') && !strncmp(p, key, n) &&
		    (p[n] == '=' || p[n] == ' ' || !p[n]))
			return p + n;
	}
	return NULL;
}

bool cmdline_has(const char *key)
{
	return find(key) != NULL;
}

u64 cmdline_num(const char *key, u64 dflt)
{
	const char *p = find(key);
	if (!p || *p != '=')
		return dflt;
	p++;
	u64 v = 0, base = 10;
	if (p[0] == '0' && p[1] == 'x')
		base = 16, p += 2;
	for (;; p++) {
		u64 d;
		if (*p >= '0' && *p <= '9')
			d = (u64)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (u64)(*p - 'a' + 10);
		else
			break;
		v = v * base + d;
	}
	return v;
}

void *memset(void *d, int c, size_t n)
{
	u8 *p = d;
	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++)
		if (*a != *b || !*a)
			return (u8)*a - (u8)*b;
	return 0;
}

/* printf: %d %u %x %s %c %llu %llx %lu %lx %p and widths with '0'. 64-bit division is done
 * by shift and subtract so 32-bit guests need no libgcc. */
static u64 divmod(u64 n, u32 d, u32 *rem)
{
	u64 q = 0, r = 0;
	for (int i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << i;
		}
	}
	*rem = (u32)r;
	return q;
}

u64 div64(u64 n, u32 d)
{
	u32 rem;
	return divmod(n, d, &rem);
}

struct out {
	char *buf;
	size_t n, len;
};

static void emit(struct out *o, char c)
{
	if (o->buf) {
		if (o->len + 1 < o->n)
			o->buf[o->len] = c;
	} else {
		putc(c);
	}
	o->len++;
}

static void vformat(struct out *o, const char *fmt, va_list ap)
{
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			emit(o, *p);
			continue;
		}
		p++;
		char pad = ' ';
		int w = 0, l = 0;
		if (*p == '0')
			pad = '0', p++;
		while (*p >= '0' && *p <= '9')
			w = w * 10 + (*p++ - '0');
		while (*p == 'l')
			l++, p++;
		u64 v = 0;
		u32 base = 10;
		bool neg = false;
		switch (*p) {
		case 'd':
			if (l) {
				s64 x = va_arg(ap, s64);
				neg = x < 0, v = neg ? (u64)-x : (u64)x;
			} else {
				int x = va_arg(ap, int);
				neg = x < 0, v = neg ? (u64) - (s64)x : (u64)x;
			}
			break;
		case 'u':
		case 'x':
			v = l ? va_arg(ap, u64) : va_arg(ap, u32);
			base = *p == 'x' ? 16 : 10;
			break;
		case 'p':
			v = (u64)(uintptr_t)va_arg(ap, void *);
			base = 16;
			emit(o, '0'), emit(o, 'x');
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			while (*s)
				emit(o, *s++);
			continue;
		}
		case 'c': emit(o, (char)va_arg(ap, int)); continue;
		default: emit(o, *p); continue;
		}
		char tmp[24];
		int n = 0;
		do {
			u32 r;
			v = divmod(v, base, &r);
			tmp[n++] = "0123456789abcdef"[r];
		} while (v);
		if (neg)
			tmp[n++] = '-';
		while (n < w)
			emit(o, pad), w--;
		while (n)
			emit(o, tmp[--n]);
	}
}

void vprintf(const char *fmt, va_list ap)
{
	struct out o = {0};
	vformat(&o, fmt, ap);
}

void printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
	struct out o = {buf, n, 0};
	va_list ap;
	va_start(ap, fmt);
	vformat(&o, fmt, ap);
	va_end(ap);
	if (n)
		buf[o.len < n ? o.len : n - 1] = '\0';
	return (int)o.len;
}
