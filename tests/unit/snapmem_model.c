/* The snapshot-memory tests' fixture (tests/unit/snapmem_model.h): what snapmem.c and gmem.c
 * call, the VM over real guest memory and page tables, and a model of its RAM and snapshots. */
#include "tests/unit/fakes.h"
#include "kernel/log.h"
#include "mm/mm.h"
#include "vm/snapmem.h"
#include "vm/virt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/pt_format.h"
#include "tests/unit/snapmem_model.h"

/* ---- what snapmem.c and gmem.c call ------------------------------------------------------ */

int kmalloc_left = -1; /* allocations that succeed before kmalloc fails; -1: all */

void *kmalloc(size_t size)
{
	if (kmalloc_left == 0)
		return NULL;
	if (kmalloc_left > 0)
		kmalloc_left--;
	return calloc(1, size);
}

void kfree(void *p)
{
	free(p);
}

u64 page_alloc_aligned(u64 npages, u64 align)
{
	if (fake_pages_limit >= 0 && fake_pages_live + (long)npages > fake_pages_limit)
		return 0;
	void *p = aligned_alloc(align, npages * PAGE_SIZE);
	memset(p, 0, npages * PAGE_SIZE);
	fake_pages_live += (long)npages;
	fake_block_add((u64)(uintptr_t)p, npages);
	return (u64)(uintptr_t)p;
}

/* Pages that keep what they held: filled with junk here, so the tests see gmem clear them. */
u64 page_alloc_uncleared(u64 npages, u64 align)
{
	u64 pa = page_alloc_aligned(npages, align);
	if (pa)
		memset((void *)(uintptr_t)pa, 0x5a, npages * PAGE_SIZE);
	return pa;
}

int flushes;
static void fake_gmap_changed(struct vm *v)
{
	(void)v;
	flushes++;
}
static const struct virt_ops fake_virt = {.gmap_changed = fake_gmap_changed};
const struct virt_ops *virt = &fake_virt;

int stops;
void vm_stop(struct vm *v, enum vm_end end, u64 status, const char *fmt_, ...)
{
	(void)status;
	va_list ap;
	va_start(ap, fmt_);
	log_vmsg(0, fmt_, ap);
	va_end(ap);
	v->end = end;
	stops++;
}

/* ---- the VM and its model ---------------------------------------------------------------- */

struct vm vm;
u8 model[NPAGES * PAGE_SIZE]; /* RAM as it should be */
struct model_snap snaps[MAXSNAP];
int nsnaps;
bool dirty[NPAGES]; /* written since the last take or restore */
int base = -1;	    /* index in snaps[] of the last taken or restored */

u64 gpa_of(u64 i)
{
	return i * PAGE_SIZE < LOW_END ? i * PAGE_SIZE : GMEM_HIGH_BASE + i * PAGE_SIZE - LOW_END;
}

static void add_chunk(struct gmem *m, u64 gpa, u64 len, u64 align)
{
	u64 hpa = page_alloc_aligned(len / PAGE_SIZE, align);
	m->chunks[m->nchunks++] = (struct gmem_chunk){gpa, hpa, len};
	assert_true(pt_map(&m->map, gpa, hpa, len, PT_R | PT_W | PT_X, false));
}

/* RAM [0, 2 MiB + 16 KiB) and [4 GiB, 4 GiB + 16 KiB), filled with a pattern. */
int setup(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	struct gmem *m = &vm.mem;
	m->size = LOW_END + HIGH_LEN;
	m->low_end = LOW_END;
	m->chunks = kmalloc(3 * sizeof(*m->chunks));
	m->nslabs = 3; /* two slabs of low RAM, one of high; kmalloc's zeroes: all ready */
	m->slab = kmalloc(m->nslabs);
	assert_true(pt_init(&m->map, &fmt));
	add_chunk(m, 0, 2 * MiB, 2 * MiB);
	add_chunk(m, 2 * MiB, LOW_END - 2 * MiB, PAGE_SIZE);
	add_chunk(m, GMEM_HIGH_BASE, HIGH_LEN, PAGE_SIZE);
	for (u64 i = 0; i < sizeof(model); i++)
		model[i] = (u8)(i * 7 + i / PAGE_SIZE);
	for (u64 i = 0; i < NPAGES; i++)
		assert_true(gmem_write(m, gpa_of(i), model + i * PAGE_SIZE, PAGE_SIZE));
	nsnaps = 0;
	base = -1;
	memset(dirty, 0, sizeof(dirty));
	flushes = stops = 0;
	kmalloc_left = fake_pages_limit = -1;
	log_reset();
	return 0;
}

int teardown(void **state)
{
	(void)state;
	fake_pages_limit = kmalloc_left = -1;
	snapmem_drop_all(&vm);
	gmem_free(&vm.mem);
	for (int k = 0; k < nsnaps; k++)
		free(snaps[k].ram);
	assert_int_equal(fake_pages_live, 0);
	return 0;
}

bool writable(u64 i)
{
	unsigned pr;
	assert_true(pt_lookup(&vm.mem.map, gpa_of(i), NULL, &pr, NULL));
	return pr & PT_W;
}

/* A guest store: a nested fault first if the page is write-protected. */
void guest_write(u64 i, u64 off, u8 val)
{
	if (!writable(i)) {
		assert_true(snapmem_write_fault(&vm, gpa_of(i) + off));
		assert_true(writable(i));
	}
	*(u8 *)gmem_ptr(&vm.mem, gpa_of(i) + off, 1) = val;
	model[i * PAGE_SIZE + off] = val;
	dirty[i] = nsnaps > 0;
}

/* keel writes n bytes from page i, offset off (it may cross pages, and the hole). */
void keel_write(u64 i, u64 off, u64 n, u8 val)
{
	u8 buf[3 * PAGE_SIZE];
	memset(buf, val, n);
	u64 at = i * PAGE_SIZE + off;
	for (u64 k = at / PAGE_SIZE; k <= (at + n - 1) / PAGE_SIZE; k++)
		assert_int_equal(gpa_of(k), gpa_of(i) + (k - i) * PAGE_SIZE); /* one run */
	assert_true(val ? gmem_write(&vm.mem, gpa_of(i) + off, buf, n)
			: gmem_zero(&vm.mem, gpa_of(i) + off, n));
	memset(model + at, val, n);
	for (u64 k = at / PAGE_SIZE; k <= (at + n - 1) / PAGE_SIZE; k++)
		dirty[k] = nsnaps > 0;
}

void take(void)
{
	assert_true(nsnaps < MAXSNAP);
	struct snapmem *s = snapmem_take(&vm);
	assert_non_null(s);
	snaps[nsnaps].s = s;
	snaps[nsnaps].ram = malloc(sizeof(model));
	memcpy(snaps[nsnaps].ram, model, sizeof(model));
	base = nsnaps++;
	memset(dirty, 0, sizeof(dirty));
}

u64 ndirty(void)
{
	u64 n = 0;
	for (u64 i = 0; i < NPAGES; i++)
		n += dirty[i];
	return n;
}

void restore(int k)
{
	u64 d = ndirty();
	bool was_base = k == base;
	assert_true(snapmem_restore(&vm, snaps[k].s));
	if (was_base)
		assert_int_equal(snapmem_restored_pages(&vm), d); /* only what changed since */
	memcpy(model, snaps[k].ram, sizeof(model));
	memset(dirty, 0, sizeof(dirty));
	base = k;
}

void drop(int k)
{
	snapmem_drop(&vm, snaps[k].s);
	free(snaps[k].ram);
	memmove(&snaps[k], &snaps[k + 1], (size_t)(nsnaps - k - 1) * sizeof(snaps[0]));
	nsnaps--;
	base = base == k ? -1 : base > k ? base - 1 : base;
	if (!nsnaps)
		memset(dirty, 0, sizeof(dirty));
}

/* RAM, the rights and the dirty count against the model; with all, every snapshot too. */
void check(bool all)
{
	static u8 page[PAGE_SIZE];
	for (u64 i = 0; i < NPAGES; i++) {
		assert_memory_equal(gmem_ptr(&vm.mem, gpa_of(i), PAGE_SIZE), model + i * PAGE_SIZE,
				    PAGE_SIZE);
		assert_int_equal(writable(i), nsnaps == 0 || dirty[i]);
		for (int k = 0; all && k < nsnaps; k++) {
			assert_true(snapmem_read_page(&vm, snaps[k].s, gpa_of(i), page));
			assert_memory_equal(page, snaps[k].ram + i * PAGE_SIZE, PAGE_SIZE);
		}
	}
	assert_int_equal(snapmem_dirty_pages(&vm), ndirty());
}
