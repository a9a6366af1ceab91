/* The few C library functions keel needs, written in lib/string.c. The host unit tests use
 * the C library's own. */
#ifndef KEEL_LIB_H
#define KEEL_LIB_H

#include "lib/types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* Copy at most n-1 bytes of src into dst and terminate; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t n);

/* Parse an unsigned number in base 10, or 16 with 0x; *end gets the first byte not used.
 * Returns false on no digits or overflow. */
bool parse_u64(const char *s, size_t len, u64 *out);
/* A size: a number with an optional K, M or G suffix (powers of 1024), e.g. "64M". */
bool parse_size(const char *s, size_t len, u64 *out);

#endif
