/* The physical page allocator: one bit per 4 KiB page, set while the page is in use. Pure C
 * (host-tested); mm/mm.c owns the one instance, its lock and its start-up. */
#ifndef KEEL_PMM_H
#define KEEL_PMM_H

#include "lib/range.h"

struct pmm {
	u64 *bitmap; /* 1 = in use or not RAM */
	u64 npages;  /* pages covered, from physical 0 */
	u64 nfree;
	u64 ntotal; /* pages that were ever free */
	u64 hint;   /* no free page below this index */
	u32 *refs;  /* per page: holders beyond the first (shared frames); NULL: none kept */
};

/* Bytes of bitmap needed to cover memory up to end. */
u64 pmm_bitmap_bytes(u64 end);
/* Set up p over bitmap (pmm_bitmap_bytes(end) bytes) with the pages of `free` available. */
void pmm_init(struct pmm *p, u64 *bitmap, u64 end, const struct rangeset *free);
/* npages contiguous pages aligned to align_pages (a power of two) at or above min; 0 if none. */
u64 pmm_alloc(struct pmm *p, u64 npages, u64 align_pages, u64 min);
/* Return pages; false if any of them was not allocated (a double free). */
bool pmm_free(struct pmm *p, u64 pa, u64 npages);
/* Mark pages in use whatever their state (for memory found to be taken after init). */
void pmm_reserve(struct pmm *p, u64 pa, u64 npages);
bool pmm_is_free(const struct pmm *p, u64 pa);

/* Shared pages (snapshot copies, clones' frames): a page from pmm_alloc has one holder; ref
 * adds one, unref drops one and frees the page with the last. Bytes of count array (one u32
 * a page) for p, and the array to use (zeroed). */
u64 pmm_refs_bytes(const struct pmm *p);
void pmm_set_refs(struct pmm *p, u32 *refs);
/* False if pa is not an allocated page or has 2^32 holders already. */
bool pmm_ref(struct pmm *p, u64 pa);
/* False if pa is not an allocated page; *freed says whether it was the last holder. */
bool pmm_unref(struct pmm *p, u64 pa, bool *freed);
/* Holders of allocated page pa beyond the first: 0 means its holder may write it. */
u32 pmm_sharers(const struct pmm *p, u64 pa);

#endif
