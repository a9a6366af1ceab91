/* Guest-physical memory. RAM comes in runs as large as the pool gives (2 MiB-aligned where it
 * can, so the nested table uses 2 MiB pages), falling back to smaller runs when the pool is
 * fragmented. Pure enough to test on the host: it uses only page_alloc and the pt engine. */
#include "mm/gmem.h"
#include "lib/string.h"
#include "mm/mm.h"

/* Largest run tried first: 64 MiB, then halving down to one page. */
#define RUN_MAX (64 * MiB)

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
		u64 align = run >= 2 * MiB ? 2 * MiB : PAGE_SIZE;
		u64 hpa = page_alloc_aligned(run / PAGE_SIZE, align);
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
		if (!pt_map(&m->map, gpa, hpa, run, PT_R | PT_W | PT_X, false))
			return false;
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
	bool ok = fill(m, &cap, 0, m->low_end);
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
	pt_destroy(&m->map);
	m->chunks = NULL;
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

void *gmem_ptr(const struct gmem *m, u64 gpa, u64 len)
{
	const struct gmem_chunk *c = find(m, gpa);
	if (!c || len > c->len - (gpa - c->gpa))
		return NULL;
	return phys_to_virt(c->hpa + (gpa - c->gpa));
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
		u8 *host = phys_to_virt(c->hpa + off);
		if (op == 0)
			memcpy(buf, host, k);
		else if (op == 1)
			memcpy(host, buf, k);
		else
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
	return m->map.pages * PAGE_SIZE + (u64)m->nchunks * sizeof(struct gmem_chunk);
}
