/* Freestanding memory and string functions; gcc may also emit calls to memcpy and memset. */
#include "lib/string.h"

/* Long runs go 64 bytes per loop step, then 8 bytes per REP step: a CPU is as quick this way as
 * with REP MOVS/STOS alone, but an emulator steps REP one element at a time and runs a loop body
 * in one go, and keel zeroes and copies whole guest RAM, kernels and disk blocks (256 MiB
 * zeroed: 1.3 s byte by byte under QEMU's TCG, 0.8 s by REP STOSQ, 0.09 s by this loop). */
#define LONG_RUN 64

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	if (n >= LONG_RUN && !(((uintptr_t)d | (uintptr_t)src) & 7)) {
		u64 *dq = d;
		const u64 *sq = src;
		for (; n >= 64; n -= 64, dq += 8, sq += 8) {
			u64 a = sq[0], b = sq[1], c = sq[2], e = sq[3], f = sq[4], g = sq[5],
			    h = sq[6], i = sq[7];
			dq[0] = a;
			dq[1] = b;
			dq[2] = c;
			dq[3] = e;
			dq[4] = f;
			dq[5] = g;
			dq[6] = h;
			dq[7] = i;
		}
		d = dq;
		src = sq;
		size_t q = n / 8;
		__asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(q)::"memory");
		n &= 7;
	}
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n)::"memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;
	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	if (n >= LONG_RUN && !((uintptr_t)d & 7)) {
		u64 v = 0x0101010101010101ull * (u8)c;
		u64 *dq = d;
		for (; n >= 64; n -= 64, dq += 8) {
			dq[0] = v;
			dq[1] = v;
			dq[2] = v;
			dq[3] = v;
			dq[4] = v;
			dq[5] = v;
			dq[6] = v;
			dq[7] = v;
		}
		d = dq;
		size_t q = n / 8;
		__asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
		n &= 7;
	}
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
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

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (u8)*a - (u8)*b;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}
