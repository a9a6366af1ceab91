/* Formatted output into a buffer: a small printf subset, pure C so the host tests drive it.
 * Supports %d %i %u %x %X %o %p %s %c %%, flags '-', '0' and '#', width and precision ('*' too),
 * and the length modifiers hh h l ll z. */
#ifndef KEEL_FMT_H
#define KEEL_FMT_H

#include "lib/types.h"

/* Like vsnprintf: writes at most n bytes including the NUL, returns the length it wanted. */
int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t n, const char *fmt, ...) __printf(3, 4);

#endif
