/* The snapshot-memory tests' fixture (tests/unit/snapmem_model.c), shared by test_snapmem.c and
 * test_snapmem_clone.c: RAM of one 2 MiB mapping and a few 4 KiB pages below 4 GiB and a few at
 * 4 GiB, over real guest memory (mm/gmem.c) and the real page-table engine, and a model that
 * keeps every snapshot as a full copy of RAM. */
#ifndef TEST_SNAPMEM_MODEL_H
#define TEST_SNAPMEM_MODEL_H

#include "vm/snapmem.h"

#define LOW_END	 (2 * MiB + 4 * PAGE_SIZE)
#define HIGH_LEN (4 * PAGE_SIZE)
#define NPAGES	 ((LOW_END + HIGH_LEN) / PAGE_SIZE)
#define MAXSNAP	 6

struct model_snap {
	struct snapmem *s;
	u8 *ram; /* the model's copy of RAM when it was taken */
};

extern int kmalloc_left; /* allocations that succeed before kmalloc fails; -1: all */
extern int flushes, stops;
extern struct vm vm;
extern u8 model[NPAGES * PAGE_SIZE]; /* RAM as it should be */
extern struct model_snap snaps[MAXSNAP];
extern int nsnaps;
extern bool dirty[NPAGES]; /* written since the last take or restore */
extern int base;	   /* index in snaps[] of the last taken or restored */

u64 gpa_of(u64 i);
int setup(void **state);
int teardown(void **state);
/* Whether RAM page i is writable in the nested table. */
bool writable(u64 i);
/* A guest store: a nested fault first if the page is write-protected. */
void guest_write(u64 i, u64 off, u8 val);
/* keel writes n bytes from page i, offset off (it may cross pages, and the hole). */
void keel_write(u64 i, u64 off, u64 n, u8 val);
void take(void);
u64 ndirty(void);
void restore(int k);
void drop(int k);
/* RAM, the rights and the dirty count against the model; with all, every snapshot too. */
void check(bool all);

#endif
