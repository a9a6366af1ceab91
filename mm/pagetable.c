/* The format-neutral 4-level walker: map, unmap, protect, look up, destroy. Pure C: tables are
 * reached through phys_to_virt, which is the identity in keel and in the host tests. */
#include "mm/pagetable.h"
#include "mm/mm.h"

#define ENTRIES 512

static u64 *table_at(u64 pa)
{
	return phys_to_virt(pa);
}

static unsigned index_of(u64 va, int level)
{
	return (unsigned)(va >> (PAGE_SHIFT + 9 * (level - 1))) & (ENTRIES - 1);
}

static u64 level_size(int level)
{
	return 1ull << (PAGE_SHIFT + 9 * (level - 1));
}

bool pt_init(struct pt *pt, const struct pt_format *fmt)
{
	pt->fmt = fmt;
	pt->root = pt_alloc_table_page();
	pt->pages = pt->root ? 1 : 0;
	return pt->root != 0;
}

/* Replace the 2 MiB leaf *e with a table of 512 4 KiB leaves of the same rights. */
static bool split(struct pt *pt, u64 *e)
{
	u64 t = pt_alloc_table_page();
	if (!t)
		return false;
	pt->pages++;
	u64 base = pt->fmt->addr(*e);
	unsigned prot = pt->fmt->prot(*e);
	u64 *tab = table_at(t);
	for (int i = 0; i < ENTRIES; i++)
		tab[i] = pt->fmt->leaf(base + (u64)i * PAGE_SIZE, prot, 1);
	*e = pt->fmt->table(t);
	return true;
}

/* Free the table an entry points at, and everything under it. */
static void free_table(struct pt *pt, u64 pa, int level)
{
	u64 *tab = table_at(pa);
	if (level > 1) {
		for (int i = 0; i < ENTRIES; i++) {
			if (pt->fmt->present(tab[i]) && !pt->fmt->is_leaf(tab[i], level))
				free_table(pt, pt->fmt->addr(tab[i]), level - 1);
		}
	}
	pt_free_table_page(pa);
	pt->pages--;
}

/* The entry for va at `level`, creating tables (create) or splitting large pages on the way. A
 * NULL return means a missing table (when !create) or an allocation failure (*oom). */
static u64 *walk(struct pt *pt, u64 va, int level, bool create, bool *oom)
{
	u64 *tab = table_at(pt->root);
	for (int l = 4; l > level; l--) {
		u64 *e = &tab[index_of(va, l)];
		if (!pt->fmt->present(*e)) {
			if (!create)
				return NULL;
			u64 t = pt_alloc_table_page();
			if (!t) {
				*oom = true;
				return NULL;
			}
			pt->pages++;
			*e = pt->fmt->table(t);
		} else if (pt->fmt->is_leaf(*e, l)) {
			if (!split(pt, e)) {
				*oom = true;
				return NULL;
			}
		}
		tab = table_at(pt->fmt->addr(*e));
	}
	return &tab[index_of(va, level)];
}

/* Apply op to [va, va+len): op 0 = map (pa, prot), 1 = unmap, 2 = protect (prot). */
static bool apply(struct pt *pt, u64 va, u64 pa, u64 len, unsigned prot, bool small_only, int op)
{
	bool oom = false;
	u64 end = va + len;
	while (va < end) {
		u64 big = level_size(2);
		bool whole = IS_ALIGNED(va, big) && end - va >= big;
		int level = 1;
		if (whole && (op != 0 || (!small_only && IS_ALIGNED(pa, big)))) {
			/* Act on a 2 MiB entry when it is a leaf (or empty, for map). */
			u64 *e = walk(pt, va, 2, op == 0, &oom);
			if (oom)
				return false;
			if (!e || !pt->fmt->present(*e)) {
				if (op == 0) {
					*e = pt->fmt->leaf(pa, prot, 2);
				}
				level = 2;
			} else if (pt->fmt->is_leaf(*e, 2)) {
				if (op == 0)
					*e = pt->fmt->leaf(pa, prot, 2);
				else if (op == 1)
					*e = 0;
				else
					*e = pt->fmt->leaf(pt->fmt->addr(*e), prot, 2);
				level = 2;
			} else if (op == 0 || op == 1) {
				/* A table under a range replaced whole: drop it, then redo as a
				 * leaf. */
				u64 t = pt->fmt->addr(*e);
				*e = 0;
				free_table(pt, t, 1);
				if (op == 0)
					*e = pt->fmt->leaf(pa, prot, 2);
				level = 2;
			}
		}
		if (level == 1) {
			u64 *e = walk(pt, va, 1, op == 0, &oom);
			if (oom)
				return false;
			if (e) {
				if (op == 0)
					*e = pt->fmt->leaf(pa, prot, 1);
				else if (op == 1)
					*e = 0;
				else if (pt->fmt->present(*e))
					*e = pt->fmt->leaf(pt->fmt->addr(*e), prot, 1);
			} else if (op != 0) {
				/* Nothing mapped here at some level: skip to the next 4 KiB. */
			}
		}
		u64 step = level_size(level);
		va += step;
		pa += step;
	}
	return true;
}

bool pt_map(struct pt *pt, u64 va, u64 pa, u64 len, unsigned prot, bool small_only)
{
	if (!IS_ALIGNED(va | pa | len, PAGE_SIZE))
		return false;
	return apply(pt, va, pa, len, prot, small_only, 0);
}

bool pt_unmap(struct pt *pt, u64 va, u64 len)
{
	if (!IS_ALIGNED(va | len, PAGE_SIZE))
		return false;
	return apply(pt, va, 0, len, 0, false, 1);
}

bool pt_protect(struct pt *pt, u64 va, u64 len, unsigned prot)
{
	if (!IS_ALIGNED(va | len, PAGE_SIZE))
		return false;
	return apply(pt, va, 0, len, prot, false, 2);
}

bool pt_lookup(const struct pt *pt, u64 va, u64 *pa, unsigned *prot, int *level)
{
	const u64 *tab = table_at(pt->root);
	for (int l = 4; l >= 1; l--) {
		u64 e = tab[index_of(va, l)];
		if (!pt->fmt->present(e))
			return false;
		if (l == 1 || pt->fmt->is_leaf(e, l)) {
			u64 off = va & (level_size(l) - 1);
			if (pa)
				*pa = pt->fmt->addr(e) + off;
			if (prot)
				*prot = pt->fmt->prot(e);
			if (level)
				*level = l;
			return true;
		}
		tab = table_at(pt->fmt->addr(e));
	}
	return false;
}

void pt_destroy(struct pt *pt)
{
	if (pt->root)
		free_table(pt, pt->root, 4);
	pt->root = 0;
}
