/* An x86-like page-table entry format for the host tests of the page-table engine and what
 * uses it (test_pagetable.c, test_snapmem.c): P, W, PS and NX where x86 has them. */
#ifndef KEEL_TEST_PT_FORMAT_H
#define KEEL_TEST_PT_FORMAT_H

#include "mm/pagetable.h"

#define P    0x1ull
#define W    0x2ull
#define PS   0x80ull
#define NX   (1ull << 63)
#define ADDR 0x000ffffffffff000ull

static u64 leaf(u64 pa, unsigned prot, int level)
{
	return pa | P | ((prot & PT_W) ? W : 0) | ((prot & PT_X) ? 0 : NX) | (level == 2 ? PS : 0);
}
static u64 table(u64 pa)
{
	return pa | P | W;
}
static bool present(u64 e)
{
	return e & P;
}
static bool is_leaf(u64 e, int level)
{
	return level == 1 || (e & PS);
}
static u64 addr(u64 e)
{
	return e & ADDR & ~((e & PS) ? 0x1fffffull : 0);
}
static unsigned prot(u64 e)
{
	return PT_R | ((e & W) ? PT_W : 0) | ((e & NX) ? 0 : PT_X);
}
static const struct pt_format fmt = {"test", leaf, table, present, is_leaf, addr, prot};

#endif
