/* Range-set operations (pure C, host-tested). Sets are small (tens of entries): simple array
 * shifting beats anything clever. */
#include "lib/range.h"

static bool insert_at(struct rangeset *s, int i, u64 start, u64 end)
{
	if (s->n == s->cap) {
		s->overflow = true;
		return false;
	}
	for (int j = s->n; j > i; j--)
		s->r[j] = s->r[j - 1];
	s->r[i] = (struct range){start, end};
	s->n++;
	return true;
}

static void remove_at(struct rangeset *s, int i)
{
	for (int j = i; j + 1 < s->n; j++)
		s->r[j] = s->r[j + 1];
	s->n--;
}

void rs_add(struct rangeset *s, u64 start, u64 end)
{
	if (start >= end)
		return;
	int i = 0;
	while (i < s->n && s->r[i].end < start)
		i++;
	/* r[i] is the first range that touches or follows [start, end). */
	if (i == s->n || s->r[i].start > end) {
		insert_at(s, i, start, end);
		return;
	}
	if (start < s->r[i].start)
		s->r[i].start = start;
	if (end > s->r[i].end)
		s->r[i].end = end;
	while (i + 1 < s->n && s->r[i + 1].start <= s->r[i].end) {
		if (s->r[i + 1].end > s->r[i].end)
			s->r[i].end = s->r[i + 1].end;
		remove_at(s, i + 1);
	}
}

void rs_sub(struct rangeset *s, u64 start, u64 end)
{
	if (start >= end)
		return;
	for (int i = 0; i < s->n; i++) {
		struct range *r = &s->r[i];
		if (r->end <= start || r->start >= end)
			continue;
		if (r->start < start && r->end > end) {
			/* The hole is inside r: split it in two. */
			u64 old_end = r->end;
			r->end = start;
			if (!insert_at(s, i + 1, end, old_end))
				return; /* keep the lower half: a smaller set is safe */
			return;
		}
		if (r->start < start) {
			r->end = start;
		} else if (r->end > end) {
			r->start = end;
		} else {
			remove_at(s, i);
			i--;
		}
	}
}

void rs_align_inward(struct rangeset *s, u64 align)
{
	for (int i = 0; i < s->n; i++) {
		u64 a = s->r[i].start, b = s->r[i].end;
		a = a > UINT64_MAX - (align - 1) ? UINT64_MAX : ALIGN_UP(a, align);
		b = ALIGN_DOWN(b, align);
		if (a >= b) {
			remove_at(s, i);
			i--;
		} else {
			s->r[i].start = a;
			s->r[i].end = b;
		}
	}
}

u64 rs_total(const struct rangeset *s)
{
	u64 t = 0;
	for (int i = 0; i < s->n; i++)
		t += s->r[i].end - s->r[i].start;
	return t;
}
