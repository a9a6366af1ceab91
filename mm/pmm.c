/* Bitmap page allocator. A bitmap is small (32 KiB per GiB) and makes contiguous, aligned runs
 * (2 MiB guest pages) easy: scan whole words, then bits. */
#include "mm/pmm.h"

#define WORD_BITS 64

static bool test(const struct pmm *p, u64 i)
{
	return p->bitmap[i / WORD_BITS] & (1ull << (i % WORD_BITS));
}

static void set_range(struct pmm *p, u64 i, u64 n, bool used)
{
	for (; n && i % WORD_BITS; i++, n--)
		used ? (p->bitmap[i / WORD_BITS] |= 1ull << (i % WORD_BITS))
		     : (p->bitmap[i / WORD_BITS] &= ~(1ull << (i % WORD_BITS)));
	for (; n >= WORD_BITS; i += WORD_BITS, n -= WORD_BITS)
		p->bitmap[i / WORD_BITS] = used ? ~0ull : 0;
	for (; n; i++, n--)
		used ? (p->bitmap[i / WORD_BITS] |= 1ull << (i % WORD_BITS))
		     : (p->bitmap[i / WORD_BITS] &= ~(1ull << (i % WORD_BITS)));
}

u64 pmm_bitmap_bytes(u64 end)
{
	u64 pages = end >> PAGE_SHIFT;
	return ALIGN_UP(pages, WORD_BITS) / 8;
}

void pmm_init(struct pmm *p, u64 *bitmap, u64 end, const struct rangeset *free)
{
	p->bitmap = bitmap;
	p->npages = ALIGN_UP(end >> PAGE_SHIFT, WORD_BITS);
	p->nfree = 0;
	p->hint = p->npages;
	set_range(p, 0, p->npages, true);
	for (int i = 0; i < free->n; i++) {
		u64 a = free->r[i].start >> PAGE_SHIFT;
		u64 b = MIN(free->r[i].end >> PAGE_SHIFT, end >> PAGE_SHIFT);
		if (a >= b)
			continue;
		set_range(p, a, b - a, false);
		p->nfree += b - a;
		if (a < p->hint)
			p->hint = a;
	}
	p->ntotal = p->nfree;
}

/* Length of the free run starting at page i, stopping once it reaches want. */
static u64 free_run(const struct pmm *p, u64 i, u64 want)
{
	u64 n = 0;
	while (n < want && i + n < p->npages) {
		u64 j = i + n;
		if (j % WORD_BITS == 0 && want - n >= WORD_BITS && p->bitmap[j / WORD_BITS] == 0) {
			n += WORD_BITS;
			continue;
		}
		if (test(p, j))
			break;
		n++;
	}
	return n;
}

u64 pmm_alloc(struct pmm *p, u64 npages, u64 align_pages, u64 min)
{
	if (npages == 0 || npages > p->nfree || align_pages == 0 ||
	    (align_pages & (align_pages - 1)))
		return 0;
	u64 i = MAX(p->hint, min >> PAGE_SHIFT), first_free = ~0ull;
	/* From the hint one page at a time, the scan passes no free page it does not see. */
	bool from_hint = i == p->hint && align_pages == 1;
	i = ALIGN_UP(i, align_pages);
	while (i + npages <= p->npages) {
		/* Skip full words quickly. */
		if (i % WORD_BITS == 0 && p->bitmap[i / WORD_BITS] == ~0ull) {
			i += MAX(WORD_BITS, align_pages);
			continue;
		}
		u64 run = free_run(p, i, npages);
		if (run && first_free == ~0ull)
			first_free = i;
		if (run == npages) {
			set_range(p, i, npages, true);
			p->nfree -= npages;
			if (from_hint)
				p->hint = first_free == i ? i + npages : first_free;
			else if (i == p->hint)
				p->hint = i + npages;
			return i << PAGE_SHIFT;
		}
		i = ALIGN_UP(i + run + 1, align_pages);
	}
	return 0;
}

bool pmm_free(struct pmm *p, u64 pa, u64 npages)
{
	u64 i = pa >> PAGE_SHIFT;
	if (pa % PAGE_SIZE || i + npages > p->npages || i + npages < i)
		return false;
	for (u64 j = i; j < i + npages; j++)
		if (!test(p, j))
			return false;
	set_range(p, i, npages, false);
	p->nfree += npages;
	if (i < p->hint)
		p->hint = i;
	return true;
}

void pmm_reserve(struct pmm *p, u64 pa, u64 npages)
{
	u64 i = pa >> PAGE_SHIFT;
	for (u64 j = i; j < i + npages && j < p->npages; j++) {
		if (!test(p, j)) {
			p->bitmap[j / WORD_BITS] |= 1ull << (j % WORD_BITS);
			p->nfree--;
		}
	}
}

bool pmm_is_free(const struct pmm *p, u64 pa)
{
	u64 i = pa >> PAGE_SHIFT;
	return i < p->npages && !test(p, i);
}

u64 pmm_refs_bytes(const struct pmm *p)
{
	return p->npages * sizeof(u32);
}

void pmm_set_refs(struct pmm *p, u32 *refs)
{
	p->refs = refs;
}

/* An allocated page of p with a count kept, as its index; ~0 otherwise. */
static u64 ref_index(const struct pmm *p, u64 pa)
{
	u64 i = pa >> PAGE_SHIFT;
	if (!p->refs || pa % PAGE_SIZE || i >= p->npages || !test(p, i))
		return ~0ull;
	return i;
}

bool pmm_ref(struct pmm *p, u64 pa)
{
	u64 i = ref_index(p, pa);
	if (i == ~0ull || p->refs[i] == ~0u)
		return false;
	p->refs[i]++;
	return true;
}

bool pmm_unref(struct pmm *p, u64 pa, bool *freed)
{
	u64 i = ref_index(p, pa);
	*freed = false;
	if (i == ~0ull)
		return false;
	if (p->refs[i]) {
		p->refs[i]--;
		return true;
	}
	*freed = true;
	return pmm_free(p, pa, 1);
}

u32 pmm_sharers(const struct pmm *p, u64 pa)
{
	u64 i = ref_index(p, pa);
	return i == ~0ull ? 0 : p->refs[i];
}
