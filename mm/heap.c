/* Heap: each block carries a 16-byte header naming its class (or page count), so kfree needs
 * no size. Small blocks are carved from pages and recycled through per-class free lists; they
 * are never returned to the page pool (keel's small objects are long-lived). */
#include "mm/heap.h"
#include "mm/mm.h"

#define HDR_MAGIC 0x6b65656cu /* "keel" */

struct hdr {
	u32 magic;
	u32 cls;   /* size class, or 0 for a page block */
	u64 pages; /* page block: pages it spans */
};
_Static_assert(sizeof(struct hdr) == 16, "heap header keeps 16-byte alignment");

static void *zero(void *p, size_t n)
{
	u8 *b = p;
	for (size_t i = 0; i < n; i++)
		b[i] = 0;
	return p;
}

void *heap_alloc(struct heap *h, size_t size)
{
	if (size == 0 || size > (1ull << 40))
		return NULL;
	size_t need = size + sizeof(struct hdr);
	if (need > (1u << HEAP_MAX_CLASS)) {
		u64 pages = ALIGN_UP((u64)need, PAGE_SIZE) / PAGE_SIZE;
		u64 pa = h->page_alloc(pages);
		if (!pa)
			return NULL;
		struct hdr *hd = phys_to_virt(pa);
		*hd = (struct hdr){HDR_MAGIC, 0, pages};
		h->in_use += pages * PAGE_SIZE;
		return zero(hd + 1, size);
	}
	u32 cls = HEAP_MIN_CLASS;
	while ((1u << cls) < need)
		cls++;
	void **list = &h->free[cls - HEAP_MIN_CLASS];
	if (!*list) {
		u64 pa = h->page_alloc(1);
		if (!pa)
			return NULL;
		u8 *page = phys_to_virt(pa);
		for (u64 off = 0; off + (1u << cls) <= PAGE_SIZE; off += 1u << cls) {
			*(void **)(page + off) = *list;
			*list = page + off;
		}
	}
	struct hdr *hd = *list;
	*list = *(void **)hd;
	*hd = (struct hdr){HDR_MAGIC, cls, 0};
	h->in_use += 1u << cls;
	return zero(hd + 1, size);
}

bool heap_free(struct heap *h, void *p)
{
	if (!p)
		return true;
	struct hdr *hd = (struct hdr *)p - 1;
	if (hd->magic != HDR_MAGIC || hd->cls > HEAP_MAX_CLASS ||
	    (hd->cls && hd->cls < HEAP_MIN_CLASS))
		return false;
	hd->magic = 0;
	if (hd->cls == 0) {
		h->in_use -= hd->pages * PAGE_SIZE;
		h->page_free(virt_to_phys(hd), hd->pages);
		return true;
	}
	u32 cls = hd->cls;
	h->in_use -= 1u << cls;
	*(void **)hd = h->free[cls - HEAP_MIN_CLASS];
	h->free[cls - HEAP_MIN_CLASS] = hd;
	return true;
}
