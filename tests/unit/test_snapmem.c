/* Snapshot memory (vm/snapmem.c) over real guest memory (mm/gmem.c) and the real page-table
 * engine with an x86-like test format: RAM of one 2 MiB mapping and a few 4 KiB pages below
 * 4 GiB and a few at 4 GiB. A model keeps every snapshot as a full copy of RAM; after each
 * step RAM, every snapshot's pages and the nested rights (writable = written since the last
 * take or restore) are checked against it, through takes, guest writes (nested faults),
 * keel's writes (gmem's hook), restores and drops in every order, and out of memory. */
#include "tests/unit/fakes.h"
#include "kernel/log.h"
#include "mm/mm.h"
#include "vm/snapmem.h"
#include "vm/virt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/pt_format.h"
#include "tests/unit/snapmem_model.h"

/* ---- the tests ---------------------------------------------------------------------------- */

/* Take copies nothing; first writes copy once per page; a restore puts back exactly those. */
static void test_take_write_restore(void **state)
{
	(void)state;
	long before = fake_pages_live;
	take();
	assert_int_equal(fake_pages_live, before); /* a snapshot is free until writes come */
	assert_int_equal(snapmem_pages(snaps[0].s), 0);
	check(true);
	guest_write(3, 10, 0xaa);
	guest_write(3, 11, 0xbb); /* no second copy */
	guest_write(NPAGES - 1, 0, 0xcc);
	keel_write(514, PAGE_SIZE - 8, 16, 0xdd); /* two 4 KiB pages at the end of low RAM */
	assert_int_equal(snapmem_pages(snaps[0].s), 4);
	check(true);
	restore(0);
	assert_int_equal(snapmem_restored_pages(&vm), 4);
	check(true);
	/* Write one page again: the next rollback resets that page alone. */
	guest_write(3, 0, 0x11);
	check(true);
	restore(0);
	assert_int_equal(snapmem_restored_pages(&vm), 1);
	check(true);
	restore(0); /* nothing written: nothing to do */
	assert_int_equal(snapmem_restored_pages(&vm), 0);
	assert_int_equal(snapmem_pages(snaps[0].s), 4);
	/* A write running off RAM into the hole: the RAM part is copied first, then written. */
	assert_false(gmem_write(&vm.mem, LOW_END - 8, "0123456789abcdef", 16));
	memcpy(model + LOW_END - 8, "01234567", 8);
	dirty[LOW_END / PAGE_SIZE - 1] = true;
	check(true);
	restore(0);
	check(true);
}

/* 2 MiB mappings stay whole at take, write-protected; the first write splits one. */
static void test_large_mapping_split_lazily(void **state)
{
	(void)state;
	int level;
	take();
	assert_true(pt_lookup(&vm.mem.map, 0x1000, NULL, NULL, &level));
	assert_int_equal(level, 2);
	guest_write(1, 0, 1);
	assert_true(pt_lookup(&vm.mem.map, 0x1000, NULL, NULL, &level));
	assert_int_equal(level, 1);
	assert_false(writable(0));
	assert_false(writable(2));
	check(true);
	drop(0);
	check(true); /* all writable again */
}

/* Several snapshots, restores forward and back, keel's writes into a shared page. */
static void test_several(void **state)
{
	(void)state;
	take();
	guest_write(5, 0, 1);
	guest_write(600 % NPAGES, 0, 2);
	take();
	guest_write(5, 1, 3);
	keel_write(7, 0, PAGE_SIZE, 0);
	take();
	guest_write(9, 0, 4);
	check(true);
	restore(0);
	check(true);
	guest_write(8, 0, 5);
	restore(1);
	check(true);
	restore(2);
	check(true);
	guest_write(5, 2, 6);
	restore(2);
	assert_int_equal(snapmem_restored_pages(&vm), 1);
	check(true);
	drop(1);
	check(true);
	restore(0);
	check(true);
	restore(1);
	check(true);
}

/* Three snapshots with writes between them dropped in each of the six orders. */
static void test_drop_orders(void **state)
{
	static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
					 {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	for (int o = 0; o < 6; o++) {
		setup(state);
		int id[3] = {0, 1, 2}; /* where snapshot j now sits in snaps[] */
		for (int j = 0; j < 3; j++) {
			take();
			guest_write((u64)j, 0, (u8)(10 + j));
			guest_write(4, (u64)j, (u8)(20 + j));
			keel_write(NPAGES - 2, (u64)j * 100, 50, (u8)(30 + j));
		}
		check(true);
		for (int step = 0; step < 3; step++) {
			int j = orders[o][step];
			drop(id[j]);
			for (int q = 0; q < 3; q++)
				if (id[q] > id[j])
					id[q]--;
			check(true);
			guest_write(4, 100, (u8)step);
			check(true);
		}
		teardown(state);
	}
}

/* gmem_init's RAM (junk in its pages here) reads as zero; a 2 MiB slab is mapped on its first
 * fault or first use by keel, zeroing a slab still waiting maps nothing, and a snapshot's first
 * take maps every slab first. */
static void test_lazy_ram(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	struct gmem *m = &vm.mem;
	assert_true(gmem_init(m, 8 * MiB + 3 * PAGE_SIZE, &fmt));
	assert_int_equal(m->nslabs, 5);
	assert_false(pt_lookup(&m->map, 0, NULL, NULL, NULL));
	assert_true(pt_lookup(&m->map, 8 * MiB, NULL, NULL, NULL)); /* a small run: at once */
	u8 buf[64];
	memset(buf, 0xff, sizeof(buf));
	assert_true(gmem_read(m, 2 * MiB + 100, buf, sizeof(buf)));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	assert_true(pt_lookup(&m->map, 2 * MiB, NULL, NULL, NULL));
	assert_true(gmem_zero(m, 4 * MiB, 2 * MiB));
	assert_false(pt_lookup(&m->map, 4 * MiB, NULL, NULL, NULL));
	assert_true(gmem_fault(m, 0x1234));
	const u8 *p = gmem_ptr(m, 0, PAGE_SIZE);
	assert_int_equal(p[0x1234] | p[PAGE_SIZE - 1], 0);
	assert_true(gmem_fault(m, 0x5678));    /* mapped already: retried */
	assert_false(gmem_fault(m, 8 * MiB));  /* not a lazy run: the caller's to judge */
	assert_false(gmem_fault(m, 64 * MiB)); /* not RAM */
	struct snapmem *s = snapmem_take(&vm);
	assert_non_null(s);
	for (u64 a = 0; a < 8 * MiB; a += 2 * MiB)
		assert_true(pt_lookup(&m->map, a, NULL, NULL, NULL));
	p = gmem_ptr(m, 6 * MiB, 2 * MiB);
	for (u64 i = 0; i < 2 * MiB; i += 4093)
		assert_int_equal(p[i], 0);
	snapmem_drop_all(&vm);
	gmem_free(m);
	assert_int_equal(fake_pages_live, 0);
}

static u64 rng = 88172645463325252ull;
static u64 next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Random takes, writes, restores and drops checked step by step against the model. */
static void test_random_against_model(void **state)
{
	(void)state;
	for (int step = 0; step < 600; step++) {
		u64 r = next_rand() % 100;
		u64 i = next_rand() % NPAGES;
		if (r < 8 && nsnaps < MAXSNAP) {
			take();
		} else if (r < 16 && nsnaps) {
			restore((int)(next_rand() % (u64)nsnaps));
		} else if (r < 21 && nsnaps) {
			drop((int)(next_rand() % (u64)nsnaps));
		} else if (r < 35) {
			u64 start = i * PAGE_SIZE + next_rand() % PAGE_SIZE;
			u64 n = 1 + next_rand() % (2 * PAGE_SIZE);
			u64 end = MIN(start + n,
				      i * PAGE_SIZE < LOW_END ? LOW_END : NPAGES * PAGE_SIZE);
			keel_write(i, start % PAGE_SIZE, end - start, (u8)(next_rand() % 4));
		} else {
			guest_write(i, next_rand() % PAGE_SIZE, (u8)next_rand());
		}
		check(step % 8 == 0);
	}
	check(true);
}

/* Out of memory: take gives NULL, a fault stops the VM, a restore fails leaving RAM as it
 * was; nothing is corrupted, and everything works again once memory is back. */
static void test_out_of_memory(void **state)
{
	(void)state;
	kmalloc_left = 0;
	assert_null(snapmem_take(&vm));
	kmalloc_left = -1;
	take();
	fake_pages_limit = fake_pages_live;
	assert_false(snapmem_write_fault(&vm, gpa_of(3)));
	assert_int_equal(stops, 1);
	assert_true(log_contains("no memory"));
	assert_false(writable(3));
	assert_false(gmem_write(&vm.mem, gpa_of(3), "x", 1)); /* keel's write refused */
	check(true);
	fake_pages_limit = -1;
	guest_write(3, 0, 1);
	take();
	/* Restoring s0 needs a copy of page 3 for s1: none to be had. */
	fake_pages_limit = fake_pages_live;
	assert_false(snapmem_restore(&vm, snaps[0].s));
	check(true);
	fake_pages_limit = -1;
	restore(0);
	check(true);
}

/* Dropping every snapshot gives back every page and leaves RAM writable. */
static void test_drop_all(void **state)
{
	(void)state;
	long before = fake_pages_live;
	take();
	guest_write(1, 0, 1);
	take();
	guest_write(1, 0, 2);
	guest_write(515, 0, 2);
	snapmem_drop_all(&vm);
	for (int k = 0; k < nsnaps; k++)
		free(snaps[k].ram);
	nsnaps = 0;
	memset(dirty, 0, sizeof(dirty));
	check(false);
	/* Only the split of the 2 MiB mapping stays (one table page). */
	assert_int_equal(fake_pages_live, before + 1);
	assert_false(snapmem_write_fault(&vm, gpa_of(1)));
}

/* A migration's dirty log: every write after the start (guest faults, keel's writes through
 * the hook, in the 2 MiB mapping, which splits, and at 4 GiB) marks exactly its page, copies
 * nothing, and each take hands over the marks and write-protects the pages again. */
static void test_dirty_log(void **state)
{
	(void)state;
	u64 bits[(NPAGES + 63) / 64];
	long before = fake_pages_live;
	assert_true(snapmem_log_start(&vm));
	assert_true(snapmem_logging(&vm));
	for (u64 i = 0; i < NPAGES; i++)
		assert_false(writable(i));
	guest_write(3, 10, 1);
	guest_write(NPAGES - 1, 0, 2);
	keel_write(513, PAGE_SIZE - 2, 4, 3); /* pages 513 and 514 */
	guest_write(3, 11, 4);		      /* already marked: no fault */
	assert_int_equal(snapmem_log_take(&vm, bits), 4);
	for (u64 i = 0; i < NPAGES; i++) {
		bool want = i == 3 || i == 513 || i == 514 || i == NPAGES - 1;
		assert_int_equal(bits[i / 64] >> (i % 64) & 1, want);
		assert_false(writable(i));
	}
	assert_int_equal(snapmem_log_take(&vm, bits), 0);
	guest_write(514, 0, 5);
	assert_int_equal(snapmem_log_take(&vm, bits), 1);
	assert_true(bits[514 / 64] >> (514 % 64) & 1);
	/* No snapshot may be taken meanwhile; none was copied. */
	assert_int_equal(fake_pages_live, before + 1); /* the split's table page */
	assert_false(snapmem_log_start(&vm));
	snapmem_log_stop(&vm);
	assert_false(snapmem_logging(&vm));
	for (u64 i = 0; i < NPAGES; i++)
		assert_true(writable(i));
	assert_false(snapmem_write_fault(&vm, gpa_of(3)));
	check(false);
	assert_int_equal(stops, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_take_write_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_mapping_split_lazily, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several, setup, teardown),
		cmocka_unit_test(test_drop_orders),
		cmocka_unit_test_setup_teardown(test_random_against_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirty_log, setup, teardown),
		cmocka_unit_test(test_lazy_ram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
