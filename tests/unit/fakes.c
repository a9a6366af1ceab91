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

/* Blocks handed out, so that a page inside one can be freed alone (keel's pool frees pages of
 * a run one by one once they are shared); the block goes when its last page does. */
static struct {
	u64 base, npages, live;
} fake_blocks[8192];

void fake_block_add(u64 base, u64 npages)
{
	for (unsigned i = 0; i < sizeof(fake_blocks) / sizeof(fake_blocks[0]); i++)
		if (!fake_blocks[i].live) {
			fake_blocks[i].base = base;
			fake_blocks[i].npages = fake_blocks[i].live = npages;
			return;
		}
	abort();
}

u64 fake_page_alloc(u64 npages)
{
	if (fake_pages_limit >= 0 && fake_pages_live + (long)npages > fake_pages_limit)
		return 0;
	void *p = aligned_alloc(4096, npages * 4096);
	memset(p, 0, npages * 4096);
	fake_pages_live += (long)npages;
	fake_block_add((u64)(uintptr_t)p, npages);
	return (u64)(uintptr_t)p;
}

void fake_page_free(u64 pa, u64 npages)
{
	fake_pages_live -= (long)npages;
	for (unsigned i = 0; i < sizeof(fake_blocks) / sizeof(fake_blocks[0]); i++) {
		if (!fake_blocks[i].live || pa < fake_blocks[i].base ||
		    pa >= fake_blocks[i].base + fake_blocks[i].npages * 4096)
			continue;
		fake_blocks[i].live -= npages;
		if (!fake_blocks[i].live)
			free((void *)(uintptr_t)fake_blocks[i].base);
		return;
	}
	abort(); /* not handed out */
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

/* Pages that keep what they held: filled with junk, so a test sees every byte the code under
 * test leaves unwritten (weak: test_snapmem has its own). */
__attribute__((weak)) u64 page_alloc_uncleared(u64 npages, u64 align)
{
	(void)align;
	u64 pa = fake_page_alloc(npages);
	if (pa)
		memset((void *)(uintptr_t)pa, 0x5a, npages * 4096);
	return pa;
}

/* Shared pages (mm/mm.h): holders beyond the first, for the few pages a test shares. */
static struct {
	u64 pa;
	u32 n;
} fake_refs[4096];

static u32 *fake_ref_slot(u64 pa, bool make)
{
	for (unsigned i = 0; i < sizeof(fake_refs) / sizeof(fake_refs[0]); i++)
		if (fake_refs[i].pa == pa && fake_refs[i].n)
			return &fake_refs[i].n;
	for (unsigned i = 0; make && i < sizeof(fake_refs) / sizeof(fake_refs[0]); i++)
		if (!fake_refs[i].n) {
			fake_refs[i].pa = pa;
			return &fake_refs[i].n;
		}
	return NULL;
}

void page_ref(u64 pa)
{
	(*fake_ref_slot(pa, true))++;
}

void page_unref(u64 pa)
{
	u32 *n = fake_ref_slot(pa, false);
	if (n)
		(*n)--;
	else
		fake_page_free(pa, 1);
}

u32 page_sharers(u64 pa)
{
	u32 *n = fake_ref_slot(pa, false);
	return n ? *n : 0;
}

/* The spin locks' owner field (kernel/spinlock.h): the host tests run on one "CPU". */
u32 cpu_id_for_lock(void)
{
	return 0;
}
