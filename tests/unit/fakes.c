/* Test doubles; see fakes.h. */
#include "tests/unit/fakes.h"
#include "kernel/log.h"
#include "mm/mm.h"
#include "mm/pagetable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char lines[256][512];
static int nlines;

void log_reset(void)
{
	nlines = 0;
}

int log_count(void)
{
	return nlines;
}

const char *log_line(int i)
{
	return lines[i];
}

bool log_contains(const char *s)
{
	for (int i = 0; i < nlines; i++)
		if (strstr(lines[i], s))
			return true;
	return false;
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
	(void)level;
	if (nlines < 256)
		vsnprintf(lines[nlines++], sizeof(lines[0]), fmt, ap);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

long fake_pages_live;
long fake_pages_limit = -1;

u64 fake_page_alloc(u64 npages)
{
	if (fake_pages_limit >= 0 && fake_pages_live + (long)npages > fake_pages_limit)
		return 0;
	void *p = aligned_alloc(4096, npages * 4096);
	memset(p, 0, npages * 4096);
	fake_pages_live += (long)npages;
	return (u64)(uintptr_t)p;
}

void fake_page_free(u64 pa, u64 npages)
{
	fake_pages_live -= (long)npages;
	free((void *)(uintptr_t)pa);
}

u64 pt_alloc_table_page(void)
{
	return fake_page_alloc(1);
}

void pt_free_table_page(u64 pa)
{
	fake_page_free(pa, 1);
}

/* keel's page allocator (mm/mm.h) for the code under test: fake_page_alloc's pages, counted. */
u64 page_alloc(u64 npages)
{
	return fake_page_alloc(npages);
}

void page_free(u64 pa, u64 npages)
{
	fake_page_free(pa, npages);
}

/* The spin locks' owner field (kernel/spinlock.h): the host tests run on one "CPU". */
u32 cpu_id_for_lock(void)
{
	return 0;
}
