/* Test doubles for what keel's pure modules call: the log (captured for assertions) and the
 * page source (host memory, counted so tests can check nothing leaks). */
#ifndef KEEL_TEST_FAKES_H
#define KEEL_TEST_FAKES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib/types.h"

void log_reset(void);
int log_count(void);
/* True if some captured line contains s. */
bool log_contains(const char *s);
const char *log_line(int i);

extern long fake_pages_live;  /* pages handed out and not yet freed */
extern long fake_pages_limit; /* -1: unlimited; otherwise fail allocations past it */
u64 fake_page_alloc(u64 npages);
void fake_page_free(u64 pa, u64 npages);
/* Register a block from another allocator so fake_page_free takes its pages. */
void fake_block_add(u64 base, u64 npages);

#endif
