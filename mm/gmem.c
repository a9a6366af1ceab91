/* Guest-physical memory. RAM comes in runs as large as the pool gives (2 MiB-aligned where it
 * can, so the nested table uses 2 MiB pages), falling back to smaller runs when the pool is
 * fragmented. Runs of 2 MiB and more are cleared and mapped a slab (2 MiB) at a time when first
 * used; smaller ones at once. Pure enough to test on the host: it uses only the page
 * allocator and the pt engine. */
#include "mm/gmem.h"
#include "kernel/x86.h"
#include "lib/string.h"
#include "mm/mm.h"

/* Largest run tried first: 64 MiB, then halving down to one page. */
#define RUN_MAX (64 * MiB)
#define SLAB	(2 * MiB)
#define RWX	(PT_R | PT_W | PT_X)

/* The slab (2 MiB of RAM) holding gpa, counted from low RAM's first. */
static u64 slab_index(const struct gmem *m, u64 gpa)
{
	u64 low = ALIGN_UP(m->low_end, SLAB);
	return (gpa < m->low_end ? gpa : low + (gpa - GMEM_HIGH_BASE)) / SLAB;
}

/* A run of at least a slab, 2 MiB-aligned on both sides (fill's rule), is cleared lazily. */
static bool lazy_run(const struct gmem_chunk *c)
{
	return c->len >= SLAB;
}

static bool add_chunk(struct gmem *m, int *cap, u64 gpa, u64 hpa, u64 len)
{
	if (m->nchunks == *cap) {
		int ncap = *cap ? 2 * *cap : 16;
		struct gmem_chunk *n = kmalloc((size_t)ncap * sizeof(*n));
		if (!n)
			return false;
		if (m->chunks)
			memcpy(n, m->chunks, (size_t)m->nchunks * sizeof(*n));
		kfree(m->chunks);
		m->chunks = n;
		*cap = ncap;
	}
	m->chunks[m->nchunks++] = (struct gmem_chunk){gpa, hpa, len};
	return true;
}

/* Back [gpa, gpa+len) with RAM and map it. */
static bool fill(struct gmem *m, int *cap, u64 gpa, u64 len)
{
	u64 run = RUN_MAX;
	while (len) {
		while (run > len || (run > PAGE_SIZE && !IS_ALIGNED(gpa, MIN(run, 2 * MiB))))
			run /= 2;
		bool lazy = run >= SLAB;
		u64 align = lazy ? SLAB : PAGE_SIZE;
		u64 hpa = lazy ? page_alloc_uncleared(run / PAGE_SIZE, align)
			       : page_alloc_aligned(run / PAGE_SIZE, align);
		if (!hpa) {
			if (run == PAGE_SIZE)
				return false;
			run /= 2;
			continue;
		}
		if (!add_chunk(m, cap, gpa, hpa, run)) {
			page_free(hpa, run / PAGE_SIZE);
			return false;
		}
		if (!pt_map(&m->map, gpa, hpa, run, RWX, false))
			return false;
		if (lazy) { /* the tables stay, so mapping a slab later allocates nothing */
			pt_unmap(&m->map, gpa, run);
			for (u64 a = gpa; a < gpa + run; a += SLAB)
				m->slab[slab_index(m, a)] = GMEM_LAZY;
		}
		gpa += run;
		len -= run;
	}
	return true;
}

bool gmem_init(struct gmem *m, u64 size, const struct pt_format *fmt)
{
	*m = (struct gmem){.size = size};
	int cap = 0;
	if (!size || !IS_ALIGNED(size, PAGE_SIZE) || !pt_init(&m->map, fmt))
		return false;
	m->low_end = MIN(size, GMEM_LOW_MAX);
	m->nslabs = slab_index(m, size > m->low_end ? gmem_top(m) - 1 : m->low_end - 1) + 1;
	m->slab = kmalloc(m->nslabs); /* zeroed: GMEM_READY until fill says otherwise */
	bool ok = m->slab && fill(m, &cap, 0, m->low_end);
	if (ok && size > m->low_end)
		ok = fill(m, &cap, GMEM_HIGH_BASE, size - m->low_end);
	if (!ok)
		gmem_free(m);
	return ok;
}

void gmem_free(struct gmem *m)
{
	for (int i = 0; i < m->nchunks; i++)
		page_free(m->chunks[i].hpa, m->chunks[i].len / PAGE_SIZE);
	kfree(m->chunks);
	kfree(m->slab);
	pt_destroy(&m->map);
	m->chunks = NULL;
	m->slab = NULL;
	m->nchunks = 0;
}

/* The chunk holding gpa (binary search), or NULL. */
static const struct gmem_chunk *find(const struct gmem *m, u64 gpa)
{
	int lo = 0, hi = m->nchunks - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		const struct gmem_chunk *c = &m->chunks[mid];
		if (gpa < c->gpa)
			hi = mid - 1;
		else if (gpa - c->gpa >= c->len)
			lo = mid + 1;
		else
			return c;
	}
	return NULL;
}

/* Clear and map slab i (at gpa, hpa) once, whichever CPU comes first; the others wait for it.
 * Clearing is no visible change (lazy RAM reads as zero), hence the const gmem. */
static void slab_ready(const struct gmem *m, u64 i, u64 gpa, u64 hpa)
{
	u8 *st = &m->slab[i];
	for (;;) {
		u8 s = __atomic_load_n(st, __ATOMIC_ACQUIRE), lazy = GMEM_LAZY;
		if (s == GMEM_READY)
			return;
		if (s == GMEM_LAZY &&
		    __atomic_compare_exchange_n(st, &lazy, GMEM_BUSY, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			memset(phys_to_virt(hpa), 0, SLAB);
			/* One 2 MiB entry in a table gmem_init made: nothing to allocate. */
			pt_map((struct pt *)(uintptr_t)&m->map, gpa, hpa, SLAB, RWX, false);
			__atomic_store_n(st, GMEM_READY, __ATOMIC_RELEASE);
			return;
		}
		cpu_relax();
	}
}

/* Every slab of chunk c under [gpa, gpa+len) cleared and mapped. */
static void chunk_ready(const struct gmem *m, const struct gmem_chunk *c, u64 gpa, u64 len)
{
	if (!lazy_run(c) || !len)
		return;
	for (u64 a = ALIGN_DOWN(gpa, SLAB); a < gpa + len; a += SLAB)
		slab_ready(m, slab_index(m, a), a, c->hpa + (a - c->gpa));
}

void *gmem_ptr(const struct gmem *m, u64 gpa, u64 len)
{
	const struct gmem_chunk *c = find(m, gpa);
	if (!c || len > c->len - (gpa - c->gpa))
		return NULL;
	chunk_ready(m, c, gpa, len);
	return phys_to_virt(c->hpa + (gpa - c->gpa));
}

bool gmem_fault(struct gmem *m, u64 gpa)
{
	const struct gmem_chunk *c = find(m, gpa);
	if (!c || !lazy_run(c))
		return false;
	bool was_ready =
		__atomic_load_n(&m->slab[slab_index(m, gpa)], __ATOMIC_ACQUIRE) == GMEM_READY;
	chunk_ready(m, c, gpa, 1);
	if (!was_ready)
		return true;
	/* Ready before this fault was handled: another CPU mapped it since; retry only if it is
	 * mapped with every right (a write to a read-only page is the snapshot's to handle). */
	unsigned prot = 0;
	return pt_lookup(&m->map, gpa, NULL, &prot, NULL) && (prot & RWX) == RWX;
}

void gmem_populate_all(struct gmem *m)
{
	for (int i = 0; i < m->nchunks; i++)
		chunk_ready(m, &m->chunks[i], m->chunks[i].gpa, m->chunks[i].len);
}

/* The hook sees the write before it happens (mm/gmem.h). */
static bool hook(const struct gmem *m, u64 gpa, u64 len)
{
	bool (*h)(void *owner, u64 gpa, u64 len) =
		__atomic_load_n(&m->write_hook, __ATOMIC_ACQUIRE);
	return !h || !len || h(m->hook_owner, gpa, len);
}

void *gmem_ptr_w(const struct gmem *m, u64 gpa, u64 len)
{
	void *p = gmem_ptr(m, gpa, len);
	return p && hook(m, gpa, len) ? p : NULL;
}

bool gmem_is_ram(const struct gmem *m, u64 gpa)
{
	return find(m, gpa) != NULL;
}

/* Walk [gpa, gpa+n) run by run: op 0 read into buf, 1 write from buf, 2 zero. */
static bool copy(const struct gmem *m, u64 gpa, u8 *buf, u64 n, int op)
{
	while (n) {
		const struct gmem_chunk *c = find(m, gpa);
		if (!c)
			return false;
		u64 off = gpa - c->gpa, k = MIN(n, c->len - off);
		if (lazy_run(c))
			k = MIN(k, SLAB - (gpa & (SLAB - 1))); /* one slab at a time */
		u8 *host = phys_to_virt(c->hpa + off);
		bool lazy = lazy_run(c) && __atomic_load_n(&m->slab[slab_index(m, gpa)],
							   __ATOMIC_ACQUIRE) == GMEM_LAZY;
		if (op != 2 || !lazy) /* zeroing a slab still to be cleared: nothing to do */
			chunk_ready(m, c, gpa, k);
		if (op == 0)
			memcpy(buf, host, k);
		else if (op == 1)
			memcpy(host, buf, k);
		else if (!lazy)
			memset(host, 0, k);
		gpa += k;
		n -= k;
		if (buf)
			buf += k;
	}
	return true;
}

bool gmem_read(const struct gmem *m, u64 gpa, void *buf, u64 n)
{
	return copy(m, gpa, buf, n, 0);
}

bool gmem_write(const struct gmem *m, u64 gpa, const void *buf, u64 n)
{
	return hook(m, gpa, n) && copy(m, gpa, (u8 *)(uintptr_t)buf, n, 1);
}

bool gmem_zero(const struct gmem *m, u64 gpa, u64 n)
{
	return hook(m, gpa, n) && copy(m, gpa, NULL, n, 2);
}

u64 gmem_top(const struct gmem *m)
{
	return m->size > m->low_end ? GMEM_HIGH_BASE + (m->size - m->low_end) : m->low_end;
}

u64 gmem_overhead(const struct gmem *m)
{
	return m->map.pages * PAGE_SIZE + (u64)m->nchunks * sizeof(struct gmem_chunk) + m->nslabs;
}
