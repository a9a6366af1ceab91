/* One 4-level page-table engine for every table keel builds: its own (x86 format), and each
 * VM's guest-physical map (NPT uses the x86 format, EPT its own). The format supplies only the
 * encoding of an entry; walking, splitting and freeing are written once, here. */
#ifndef KEEL_PAGETABLE_H
#define KEEL_PAGETABLE_H

#include "lib/types.h"

/* Access rights, format-neutral. */
enum {
	PT_R = 1 << 0,
	PT_W = 1 << 1,
	PT_X = 1 << 2,
	PT_UC = 1 << 3, /* uncached (device memory) */
};

struct pt_format {
	const char *name;
	/* Leaf entry mapping pa with prot; level 1 is 4 KiB, level 2 is 2 MiB. */
	u64 (*leaf)(u64 pa, unsigned prot, int level);
	/* Entry pointing at a next-level table at pa. */
	u64 (*table)(u64 pa);
	bool (*present)(u64 e);
	bool (*is_leaf)(u64 e, int level); /* level 1 entries are always leaves */
	u64 (*addr)(u64 e);
	unsigned (*prot)(u64 e);
};

struct pt {
	const struct pt_format *fmt;
	u64 root;  /* physical address of the top table */
	u64 pages; /* table pages in use, root included */
};

/* Table pages come from here; tests substitute their own. */
u64 pt_alloc_table_page(void);
void pt_free_table_page(u64 pa);

bool pt_init(struct pt *pt, const struct pt_format *fmt);
/* Map [va, va+len) to [pa, pa+len); large pages where alignment allows unless small_only.
 * Replaces what was there. False if a table page could not be allocated. */
bool pt_map(struct pt *pt, u64 va, u64 pa, u64 len, unsigned prot, bool small_only);
bool pt_unmap(struct pt *pt, u64 va, u64 len);
/* Change the rights of what is mapped in [va, va+len); holes stay holes. */
bool pt_protect(struct pt *pt, u64 va, u64 len, unsigned prot);
/* Translate va; false if unmapped. *level says the page size found (1: 4K, 2: 2M). */
bool pt_lookup(const struct pt *pt, u64 va, u64 *pa, unsigned *prot, int *level);
/* Free every table page (not the memory it maps). */
void pt_destroy(struct pt *pt);

#endif
