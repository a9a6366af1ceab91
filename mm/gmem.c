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
	for (u64 i = 0; m->frames && i < m->size / PAGE_SIZE; i++)
		if (m->frames[i])
			page_unref(m->frames[i]);
	kfree(m->frames);
	m->frames = NULL;
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

u64 gmem_index(const struct gmem *m, u64 gpa)
{
	if (gpa < m->low_end)
		return gpa >> PAGE_SHIFT;
	if (gpa >= GMEM_HIGH_BASE && gpa < gmem_top(m))
		return (m->low_end + (gpa - GMEM_HIGH_BASE)) >> PAGE_SHIFT;
	return ~0ull;
}

u64 gmem_index_gpa(const struct gmem *m, u64 i)
{
	u64 at = i << PAGE_SHIFT;
	return at < m->low_end ? at : GMEM_HIGH_BASE + (at - m->low_end);
}

u64 gmem_frame(const struct gmem *m, u64 i)
{
	if (m->frames)
		return __atomic_load_n(&m->frames[i], __ATOMIC_ACQUIRE);
	u64 gpa = gmem_index_gpa(m, i);
	const struct gmem_chunk *c = find(m, gpa);
	return c ? c->hpa + (gpa - c->gpa) : 0;
}

/* Bytes of RAM from gpa that lie one after another in host memory, looking no further than
 * want, with gpa's host address in *hpa; 0 if gpa is not RAM. */
static u64 locate(const struct gmem *m, u64 gpa, u64 want, u64 *hpa)
{
	if (!m->frames) {
		const struct gmem_chunk *c = find(m, gpa);
		if (!c)
			return 0;
		*hpa = c->hpa + (gpa - c->gpa);
		return c->len - (gpa - c->gpa);
	}
	u64 i = gmem_index(m, gpa), pa = i == ~0ull ? 0 : gmem_frame(m, i);
	if (!pa)
		return 0;
	*hpa = pa + gpa % PAGE_SIZE;
	u64 n = PAGE_SIZE - gpa % PAGE_SIZE, npages = m->size >> PAGE_SHIFT;
	/* Neighbouring frames that happen to be adjacent make one run (not across the hole). */
	for (; n < want && ++i < npages && i != m->low_end >> PAGE_SHIFT; n += PAGE_SIZE) {
		pa += PAGE_SIZE;
		if (gmem_frame(m, i) != pa)
			break;
	}
	return n;
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

/* [gpa, gpa+len), within one run, cleared and mapped if its run is lazy (paged RAM never is). */
static void ready(const struct gmem *m, u64 gpa, u64 len)
{
	const struct gmem_chunk *c = m->frames ? NULL : find(m, gpa);
	if (c)
		chunk_ready(m, c, gpa, len);
}

void *gmem_ptr(const struct gmem *m, u64 gpa, u64 len)
{
	u64 hpa;
	if (len > locate(m, gpa, len, &hpa))
		return NULL;
	ready(m, gpa, len);
	return phys_to_virt(hpa);
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

/* The hook first: it may give a shared page a private frame, the one to write. */
void *gmem_ptr_w(const struct gmem *m, u64 gpa, u64 len)
{
	return gmem_ptr(m, gpa, len) && hook(m, gpa, len) ? gmem_ptr(m, gpa, len) : NULL;
}

bool gmem_is_ram(const struct gmem *m, u64 gpa)
{
	u64 i = gmem_index(m, gpa);
	return i != ~0ull && (m->frames ? gmem_frame(m, i) != 0 : find(m, gpa) != NULL);
}

/* Walk [gpa, gpa+n) run by run: op 0 read into buf, 1 write from buf, 2 zero. */
static bool copy(const struct gmem *m, u64 gpa, u8 *buf, u64 n, int op)
{
	while (n) {
		u64 hpa, k = MIN(n, locate(m, gpa, n, &hpa));
		if (!k)
			return false;
		const struct gmem_chunk *c = m->frames ? NULL : find(m, gpa);
		bool lazy = false;
		if (c && lazy_run(c)) {
			k = MIN(k, SLAB - (gpa & (SLAB - 1))); /* one slab at a time */
			lazy = __atomic_load_n(&m->slab[slab_index(m, gpa)], __ATOMIC_ACQUIRE) ==
			       GMEM_LAZY;
			if (op != 2 ||
			    !lazy) /* zeroing a slab still to be cleared: nothing to do */
				chunk_ready(m, c, gpa, k);
		}
		u8 *host = phys_to_virt(hpa);
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
	return m->map.pages * PAGE_SIZE + (u64)m->nchunks * sizeof(struct gmem_chunk) + m->nslabs +
	       (m->frames ? (m->size >> PAGE_SHIFT) * sizeof(u64) : 0);
}

/* ---- paged RAM ------------------------------------------------------------------------ */

bool gmem_init_paged(struct gmem *m, u64 size, const struct pt_format *fmt)
{
	*m = (struct gmem){.size = size};
	if (!size || !IS_ALIGNED(size, PAGE_SIZE) || !pt_init(&m->map, fmt))
		return false;
	m->low_end = MIN(size, GMEM_LOW_MAX);
	m->frames = kmalloc((size >> PAGE_SHIFT) * sizeof(u64));
	if (!m->frames)
		gmem_free(m);
	return m->frames != NULL;
}

bool gmem_page_all(struct gmem *m)
{
	if (m->frames)
		return true;
	gmem_populate_all(m); /* frames are cleared and mapped RAM */
	u64 n = m->size >> PAGE_SHIFT;
	u64 *f = kmalloc(n * sizeof(u64));
	if (!f)
		return false;
	for (u64 i = 0; i < n; i++)
		f[i] = gmem_frame(m, i);
	__atomic_store_n(&m->frames, f, __ATOMIC_RELEASE); /* each run's pages now go one by one */
	kfree(m->chunks);
	m->chunks = NULL;
	m->nchunks = 0;
	return true;
}

bool gmem_set_frame(struct gmem *m, u64 i, u64 pa, unsigned prot)
{
	if (!pt_map(&m->map, gmem_index_gpa(m, i), pa, PAGE_SIZE, prot, true))
		return false;
	u64 old = __atomic_exchange_n(&m->frames[i], pa, __ATOMIC_ACQ_REL);
	if (old)
		page_unref(old);
	return true;
}

void gmem_give_frame(struct gmem *m, u64 i, u64 pa)
{
	m->frames[i] = pa;
}

/* Pages from i whose frames follow frame i in host memory, on i's side of the hole. */
static u64 frame_run(const struct gmem *m, u64 i)
{
	u64 end = i < m->low_end >> PAGE_SHIFT ? m->low_end >> PAGE_SHIFT : m->size >> PAGE_SHIFT;
	u64 n = 1;
	while (i + n < end && m->frames[i + n] == m->frames[i] + n * PAGE_SIZE)
		n++;
	return n;
}

bool gmem_map_frames(struct gmem *m, unsigned prot)
{
	for (u64 i = 0, n; i < m->size >> PAGE_SHIFT; i += n) {
		n = frame_run(m, i);
		if (!pt_map(&m->map, gmem_index_gpa(m, i), m->frames[i], n * PAGE_SIZE, prot,
			    false))
			return false;
	}
	return true;
}

bool gmem_is_shared(const struct gmem *m, u64 i)
{
	return m->frames && page_sharers(gmem_frame(m, i)) > 0;
}

int gmem_unshare(struct gmem *m, u64 i, unsigned prot)
{
	if (!gmem_is_shared(m, i))
		return 0;
	u64 pa = page_alloc(1);
	if (!pa)
		return -1;
	memcpy(phys_to_virt(pa), phys_to_virt(gmem_frame(m, i)), PAGE_SIZE);
	if (!gmem_set_frame(m, i, pa, prot)) {
		page_free(pa, 1);
		return -1;
	}
	return 1;
}

u64 gmem_private_pages(const struct gmem *m)
{
	u64 n = m->size >> PAGE_SHIFT, shared = 0;
	for (u64 i = 0; m->frames && i < n; i++)
		shared += !m->frames[i] || gmem_is_shared(m, i);
	return n - shared;
}
