/* The heap's pure core: power-of-two size classes over pages from a page source. */
#ifndef KEEL_HEAP_H
#define KEEL_HEAP_H

#include "lib/types.h"

#define HEAP_MIN_CLASS 4  /* 16 bytes */
#define HEAP_MAX_CLASS 11 /* 2048 bytes; larger blocks get whole pages */
#define HEAP_CLASSES   (HEAP_MAX_CLASS - HEAP_MIN_CLASS + 1)

struct heap {
	void *free[HEAP_CLASSES]; /* free lists, linked through the blocks */
	u64 (*page_alloc)(u64 npages);
	void (*page_free)(u64 pa, u64 npages);
	u64 in_use; /* bytes handed out, headers included */
};

void *heap_alloc(struct heap *h, size_t size);
/* False if p is not a live heap block (a double free or a wild pointer). */
bool heap_free(struct heap *h, void *p);

#endif
