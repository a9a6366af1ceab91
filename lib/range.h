/* Sets of disjoint, sorted physical ranges [start, end): the memory map's working form. */
#ifndef KEEL_RANGE_H
#define KEEL_RANGE_H

#include "lib/types.h"

struct range {
	u64 start, end;
};

struct rangeset {
	struct range *r;
	int n, cap;
	bool overflow; /* an add or subtract did not fit: the set is smaller than it should be */
};

/* Union [start, end) into the set, merging neighbours. */
void rs_add(struct rangeset *s, u64 start, u64 end);
/* Remove [start, end) from the set, splitting ranges it cuts. */
void rs_sub(struct rangeset *s, u64 start, u64 end);
/* Shrink every range inward to multiples of align, dropping those that vanish. */
void rs_align_inward(struct rangeset *s, u64 align);
u64 rs_total(const struct rangeset *s);

#endif
