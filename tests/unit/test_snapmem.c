/* Snapshot memory (vm/snapmem.c) over real guest memory (mm/gmem.c) and the real page-table
 * engine with an x86-like test format: RAM of one 2 MiB mapping and a few 4 KiB pages below
 * 4 GiB and a few at 4 GiB. A model keeps every snapshot as a full copy of RAM; after each
 * step RAM, every snapshot's pages and the nested rights (writable = written since the last
 * take or restore) are checked against it, through takes, guest writes (nested faults),
 * keel's writes (gmem's hook), restores and drops in every order, and out of memory. */
#include "tests/unit/fakes.h"
#include "kernel/log.h"
#include "mm/mm.h"
#include "vm/snapmem.h"
#include "vm/virt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/pt_format.h"

/* ---- what snapmem.c and gmem.c call ------------------------------------------------------ */

static int kmalloc_left = -1; /* allocations that succeed before kmalloc fails; -1: all */

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

static int flushes;
static void fake_gmap_changed(struct vm *vm)
{
	(void)vm;
	flushes++;
}
static const struct virt_ops fake_virt = {.gmap_changed = fake_gmap_changed};
const struct virt_ops *virt = &fake_virt;

static int stops;
void vm_stop(struct vm *vm, enum vm_end end, u64 status, const char *fmt_, ...)
{
	(void)status;
	va_list ap;
	va_start(ap, fmt_);
	log_vmsg(0, fmt_, ap);
	va_end(ap);
	vm->end = end;
	stops++;
}

/* ---- the VM and its model ---------------------------------------------------------------- */

#define LOW_END	 (2 * MiB + 4 * PAGE_SIZE)
#define HIGH_LEN (4 * PAGE_SIZE)
#define NPAGES	 ((LOW_END + HIGH_LEN) / PAGE_SIZE)
#define MAXSNAP	 6

static struct vm vm;
static u8 model[NPAGES * PAGE_SIZE]; /* RAM as it should be */
static struct {
	struct snapmem *s;
	u8 *ram; /* the model's copy of RAM when it was taken */
} snaps[MAXSNAP];
static int nsnaps;
static bool dirty[NPAGES]; /* written since the last take or restore */
static int base = -1;	   /* index in snaps[] of the last taken or restored */

static u64 gpa_of(u64 i)
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
static int setup(void **state)
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

static int teardown(void **state)
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

static bool writable(u64 i)
{
	unsigned pr;
	assert_true(pt_lookup(&vm.mem.map, gpa_of(i), NULL, &pr, NULL));
	return pr & PT_W;
}

/* A guest store: a nested fault first if the page is write-protected. */
static void guest_write(u64 i, u64 off, u8 val)
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
static void keel_write(u64 i, u64 off, u64 n, u8 val)
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

static void take(void)
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

static u64 ndirty(void)
{
	u64 n = 0;
	for (u64 i = 0; i < NPAGES; i++)
		n += dirty[i];
	return n;
}

static void restore(int k)
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

static void drop(int k)
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
static void check(bool all)
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

/* ---- the tests ---------------------------------------------------------------------------- */

/* Take copies nothing; first writes copy once per page; a restore puts back exactly those. */
static void test_take_write_restore(void **state)
{
	(void)state;
	long before = fake_pages_live;
	take();
	assert_int_equal(fake_pages_live, before); /* a snapshot is free until writes come */
	assert_int_equal(snapmem_pages(snaps[0].s), 0);
	check(true);
	guest_write(3, 10, 0xaa);
	guest_write(3, 11, 0xbb); /* no second copy */
	guest_write(NPAGES - 1, 0, 0xcc);
	keel_write(514, PAGE_SIZE - 8, 16, 0xdd); /* two 4 KiB pages at the end of low RAM */
	assert_int_equal(snapmem_pages(snaps[0].s), 4);
	check(true);
	restore(0);
	assert_int_equal(snapmem_restored_pages(&vm), 4);
	check(true);
	/* Write one page again: the next rollback resets that page alone. */
	guest_write(3, 0, 0x11);
	check(true);
	restore(0);
	assert_int_equal(snapmem_restored_pages(&vm), 1);
	check(true);
	restore(0); /* nothing written: nothing to do */
	assert_int_equal(snapmem_restored_pages(&vm), 0);
	assert_int_equal(snapmem_pages(snaps[0].s), 4);
	/* A write running off RAM into the hole: the RAM part is copied first, then written. */
	assert_false(gmem_write(&vm.mem, LOW_END - 8, "0123456789abcdef", 16));
	memcpy(model + LOW_END - 8, "01234567", 8);
	dirty[LOW_END / PAGE_SIZE - 1] = true;
	check(true);
	restore(0);
	check(true);
}

/* 2 MiB mappings stay whole at take, write-protected; the first write splits one. */
static void test_large_mapping_split_lazily(void **state)
{
	(void)state;
	int level;
	take();
	assert_true(pt_lookup(&vm.mem.map, 0x1000, NULL, NULL, &level));
	assert_int_equal(level, 2);
	guest_write(1, 0, 1);
	assert_true(pt_lookup(&vm.mem.map, 0x1000, NULL, NULL, &level));
	assert_int_equal(level, 1);
	assert_false(writable(0));
	assert_false(writable(2));
	check(true);
	drop(0);
	check(true); /* all writable again */
}

/* Several snapshots, restores forward and back, keel's writes into a shared page. */
static void test_several(void **state)
{
	(void)state;
	take();
	guest_write(5, 0, 1);
	guest_write(600 % NPAGES, 0, 2);
	take();
	guest_write(5, 1, 3);
	keel_write(7, 0, PAGE_SIZE, 0);
	take();
	guest_write(9, 0, 4);
	check(true);
	restore(0);
	check(true);
	guest_write(8, 0, 5);
	restore(1);
	check(true);
	restore(2);
	check(true);
	guest_write(5, 2, 6);
	restore(2);
	assert_int_equal(snapmem_restored_pages(&vm), 1);
	check(true);
	drop(1);
	check(true);
	restore(0);
	check(true);
	restore(1);
	check(true);
}

/* Three snapshots with writes between them dropped in each of the six orders. */
static void test_drop_orders(void **state)
{
	static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
					 {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	for (int o = 0; o < 6; o++) {
		setup(state);
		int id[3] = {0, 1, 2}; /* where snapshot j now sits in snaps[] */
		for (int j = 0; j < 3; j++) {
			take();
			guest_write((u64)j, 0, (u8)(10 + j));
			guest_write(4, (u64)j, (u8)(20 + j));
			keel_write(NPAGES - 2, (u64)j * 100, 50, (u8)(30 + j));
		}
		check(true);
		for (int step = 0; step < 3; step++) {
			int j = orders[o][step];
			drop(id[j]);
			for (int q = 0; q < 3; q++)
				if (id[q] > id[j])
					id[q]--;
			check(true);
			guest_write(4, 100, (u8)step);
			check(true);
		}
		teardown(state);
	}
}

/* gmem_init's RAM (junk in its pages here) reads as zero; a 2 MiB slab is mapped on its first
 * fault or first use by keel, zeroing a slab still waiting maps nothing, and a snapshot's first
 * take maps every slab first. */
static void test_lazy_ram(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	struct gmem *m = &vm.mem;
	assert_true(gmem_init(m, 8 * MiB + 3 * PAGE_SIZE, &fmt));
	assert_int_equal(m->nslabs, 5);
	assert_false(pt_lookup(&m->map, 0, NULL, NULL, NULL));
	assert_true(pt_lookup(&m->map, 8 * MiB, NULL, NULL, NULL)); /* a small run: at once */
	u8 buf[64];
	memset(buf, 0xff, sizeof(buf));
	assert_true(gmem_read(m, 2 * MiB + 100, buf, sizeof(buf)));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	assert_true(pt_lookup(&m->map, 2 * MiB, NULL, NULL, NULL));
	assert_true(gmem_zero(m, 4 * MiB, 2 * MiB));
	assert_false(pt_lookup(&m->map, 4 * MiB, NULL, NULL, NULL));
	assert_true(gmem_fault(m, 0x1234));
	const u8 *p = gmem_ptr(m, 0, PAGE_SIZE);
	assert_int_equal(p[0x1234] | p[PAGE_SIZE - 1], 0);
	assert_true(gmem_fault(m, 0x5678));    /* mapped already: retried */
	assert_false(gmem_fault(m, 8 * MiB));  /* not a lazy run: the caller's to judge */
	assert_false(gmem_fault(m, 64 * MiB)); /* not RAM */
	struct snapmem *s = snapmem_take(&vm);
	assert_non_null(s);
	for (u64 a = 0; a < 8 * MiB; a += 2 * MiB)
		assert_true(pt_lookup(&m->map, a, NULL, NULL, NULL));
	p = gmem_ptr(m, 6 * MiB, 2 * MiB);
	for (u64 i = 0; i < 2 * MiB; i += 4093)
		assert_int_equal(p[i], 0);
	snapmem_drop_all(&vm);
	gmem_free(m);
	assert_int_equal(fake_pages_live, 0);
}

static u64 rng = 88172645463325252ull;
static u64 next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Random takes, writes, restores and drops checked step by step against the model. */
static void test_random_against_model(void **state)
{
	(void)state;
	for (int step = 0; step < 600; step++) {
		u64 r = next_rand() % 100;
		u64 i = next_rand() % NPAGES;
		if (r < 8 && nsnaps < MAXSNAP) {
			take();
		} else if (r < 16 && nsnaps) {
			restore((int)(next_rand() % (u64)nsnaps));
		} else if (r < 21 && nsnaps) {
			drop((int)(next_rand() % (u64)nsnaps));
		} else if (r < 35) {
			u64 start = i * PAGE_SIZE + next_rand() % PAGE_SIZE;
			u64 n = 1 + next_rand() % (2 * PAGE_SIZE);
			u64 end = MIN(start + n,
				      i * PAGE_SIZE < LOW_END ? LOW_END : NPAGES * PAGE_SIZE);
			keel_write(i, start % PAGE_SIZE, end - start, (u8)(next_rand() % 4));
		} else {
			guest_write(i, next_rand() % PAGE_SIZE, (u8)next_rand());
		}
		check(step % 8 == 0);
	}
	check(true);
}

/* Out of memory: take gives NULL, a fault stops the VM, a restore fails leaving RAM as it
 * was; nothing is corrupted, and everything works again once memory is back. */
static void test_out_of_memory(void **state)
{
	(void)state;
	kmalloc_left = 0;
	assert_null(snapmem_take(&vm));
	kmalloc_left = -1;
	take();
	fake_pages_limit = fake_pages_live;
	assert_false(snapmem_write_fault(&vm, gpa_of(3)));
	assert_int_equal(stops, 1);
	assert_true(log_contains("no memory"));
	assert_false(writable(3));
	assert_false(gmem_write(&vm.mem, gpa_of(3), "x", 1)); /* keel's write refused */
	check(true);
	fake_pages_limit = -1;
	guest_write(3, 0, 1);
	take();
	/* Restoring s0 needs a copy of page 3 for s1: none to be had. */
	fake_pages_limit = fake_pages_live;
	assert_false(snapmem_restore(&vm, snaps[0].s));
	check(true);
	fake_pages_limit = -1;
	restore(0);
	check(true);
}

/* Dropping every snapshot gives back every page and leaves RAM writable. */
static void test_drop_all(void **state)
{
	(void)state;
	long before = fake_pages_live;
	take();
	guest_write(1, 0, 1);
	take();
	guest_write(1, 0, 2);
	guest_write(515, 0, 2);
	snapmem_drop_all(&vm);
	for (int k = 0; k < nsnaps; k++)
		free(snaps[k].ram);
	nsnaps = 0;
	memset(dirty, 0, sizeof(dirty));
	check(false);
	/* Only the split of the 2 MiB mapping stays (one table page). */
	assert_int_equal(fake_pages_live, before + 1);
	assert_false(snapmem_write_fault(&vm, gpa_of(1)));
}

/* A migration's dirty log: every write after the start (guest faults, keel's writes through
 * the hook, in the 2 MiB mapping, which splits, and at 4 GiB) marks exactly its page, copies
 * nothing, and each take hands over the marks and write-protects the pages again. */
static void test_dirty_log(void **state)
{
	(void)state;
	u64 bits[(NPAGES + 63) / 64];
	long before = fake_pages_live;
	assert_true(snapmem_log_start(&vm));
	assert_true(snapmem_logging(&vm));
	for (u64 i = 0; i < NPAGES; i++)
		assert_false(writable(i));
	guest_write(3, 10, 1);
	guest_write(NPAGES - 1, 0, 2);
	keel_write(513, PAGE_SIZE - 2, 4, 3); /* pages 513 and 514 */
	guest_write(3, 11, 4);		      /* already marked: no fault */
	assert_int_equal(snapmem_log_take(&vm, bits), 4);
	for (u64 i = 0; i < NPAGES; i++) {
		bool want = i == 3 || i == 513 || i == 514 || i == NPAGES - 1;
		assert_int_equal(bits[i / 64] >> (i % 64) & 1, want);
		assert_false(writable(i));
	}
	assert_int_equal(snapmem_log_take(&vm, bits), 0);
	guest_write(514, 0, 5);
	assert_int_equal(snapmem_log_take(&vm, bits), 1);
	assert_true(bits[514 / 64] >> (514 % 64) & 1);
	/* No snapshot may be taken meanwhile; none was copied. */
	assert_int_equal(fake_pages_live, before + 1); /* the split's table page */
	assert_false(snapmem_log_start(&vm));
	snapmem_log_stop(&vm);
	assert_false(snapmem_logging(&vm));
	for (u64 i = 0; i < NPAGES; i++)
		assert_true(writable(i));
	assert_false(snapmem_write_fault(&vm, gpa_of(3)));
	check(false);
	assert_int_equal(stops, 0);
}

/* ---- clones ---------------------------------------------------------------------------- */

static struct vm twin; /* a clone of vm */

static bool twin_writable(u64 i)
{
	unsigned pr;
	assert_true(pt_lookup(&twin.mem.map, gpa_of(i), NULL, &pr, NULL));
	return pr & PT_W;
}

/* The clone's RAM against want (NPAGES pages). */
static void check_twin(const u8 *want)
{
	for (u64 i = 0; i < NPAGES; i++)
		assert_memory_equal(gmem_ptr(&twin.mem, gpa_of(i), PAGE_SIZE), want + i * PAGE_SIZE,
				    PAGE_SIZE);
}

/* A guest store into the clone, through a nested fault when the page is read-only. */
static void twin_write(u8 *want, u64 i, u8 val)
{
	if (!twin_writable(i))
		assert_true(snapmem_write_fault(&twin, gpa_of(i)));
	assert_true(twin_writable(i));
	*(u8 *)gmem_ptr(&twin.mem, gpa_of(i), 1) = val;
	want[i * PAGE_SIZE] = val;
}

/* A clone shares every frame read-only and copies a page at its first write, by either side;
 * writes never cross from one to the other or into the snapshot; the clone outlives its source
 * (frames are freed with their last holder: teardown finds no page left). */
static void test_clone(void **state)
{
	(void)state;
	static u8 want[sizeof(model)];
	take();
	guest_write(3, 0, 0x11); /* the snapshot holds page 3, RAM the rest */
	memcpy(want, snaps[0].ram, sizeof(want));
	memset(&twin, 0, sizeof(twin));
	assert_true(gmem_init_paged(&twin.mem, vm.mem.size, &fmt));
	twin.mem.low_end = LOW_END; /* the test's layout (mm/gmem.h's puts 3 GiB below 4 GiB) */
	long before = fake_pages_live;
	assert_true(snapmem_clone(&twin, snaps[0].s));
	assert_true(fake_pages_live - before < 8); /* table pages, not RAM */
	assert_int_equal(gmem_private_pages(&twin.mem), 0);
	check_twin(want);
	for (u64 i = 0; i < NPAGES; i++)
		assert_false(twin_writable(i));
	twin_write(want, 5, 0x55); /* the clone's writes: a copy each, the source unchanged */
	assert_true(gmem_write(&twin.mem, gpa_of(6) + PAGE_SIZE - 8, "0123456789abcdef", 16));
	memcpy(want + 7 * PAGE_SIZE - 8, "0123456789abcdef", 16);
	assert_int_equal(gmem_private_pages(&twin.mem), 3);
	assert_true(twin_writable(6)); /* private now: the guest may write it */
	check_twin(want);
	check(true);
	guest_write(8, 0, 0x88); /* the source's write to a frame the clone shares */
	keel_write(9, 0, 4, 0x99);
	check(true);
	check_twin(want);
	assert_non_null(gmem_ptr(&twin.mem, gpa_of(10), 2 * PAGE_SIZE)); /* adjacent frames */
	restore(0);
	check(true);
	check_twin(want);
	/* The clone's own snapshot and rollback. */
	struct snapmem *t = snapmem_take(&twin);
	assert_non_null(t);
	static u8 at_t[sizeof(model)];
	memcpy(at_t, want, sizeof(at_t));
	twin_write(want, 5, 0x56);
	twin_write(want, 12, 0x12);
	assert_true(snapmem_restore(&twin, t));
	memcpy(want, at_t, sizeof(want));
	check_twin(want);
	check(true);
	/* The source goes (its snapshots too): the clone keeps the frames it shares. */
	snapmem_drop_all(&vm);
	gmem_free(&vm.mem);
	memset(&vm.mem, 0, sizeof(vm.mem));
	check_twin(want);
	twin_write(want, 14, 0x14);
	check_twin(want);
	snapmem_drop_all(&twin);
	gmem_free(&twin.mem);
}

/* Where the source's RAM is one aligned 2 MiB run, the clone maps it as one 2 MiB page; its
 * first write splits that mapping, the rest staying shared and read-only. */
static void test_clone_large_pages(void **state)
{
	(void)state;
	static u8 want[sizeof(model)];
	int level;
	take();
	memcpy(want, model, sizeof(want));
	memset(&twin, 0, sizeof(twin));
	assert_true(gmem_init_paged(&twin.mem, vm.mem.size, &fmt));
	twin.mem.low_end = LOW_END;
	assert_true(snapmem_clone(&twin, snaps[0].s));
	assert_true(pt_lookup(&twin.mem.map, 0x1000, NULL, NULL, &level));
	assert_int_equal(level, 2);
	twin_write(want, 1, 0x77);
	assert_true(pt_lookup(&twin.mem.map, 0x1000, NULL, NULL, &level));
	assert_int_equal(level, 1);
	assert_false(twin_writable(0));
	assert_false(twin_writable(2));
	assert_int_equal(gmem_private_pages(&twin.mem), 1);
	check_twin(want);
	check(true);
	snapmem_drop_all(&twin);
	gmem_free(&twin.mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_take_write_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_mapping_split_lazily, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several, setup, teardown),
		cmocka_unit_test(test_drop_orders),
		cmocka_unit_test_setup_teardown(test_random_against_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirty_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone_large_pages, setup, teardown),
		cmocka_unit_test(test_lazy_ram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
