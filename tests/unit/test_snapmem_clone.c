/* Clones of a snapshot (vm/snapmem.c snapmem_clone, mm/gmem.c's paged RAM): a clone shares
 * the snapshot's frames read-only and copies a page at its first write, by either side, over the
 * snapshot-memory tests' model (tests/unit/snapmem_model.h). */
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

/* ---- clones ---------------------------------------------------------------------------- */

static struct vm twin; /* a clone of vm */

static bool twin_writable(u64 i)
{
	unsigned pr;
	assert_true(pt_lookup(&twin.mem.map, gpa_of(i), NULL, &pr, NULL));
	return pr & PT_W;
}

/* The clone's RAM against want (NPAGES pages). */
static void check_twin(const u8 *want)
{
	for (u64 i = 0; i < NPAGES; i++)
		assert_memory_equal(gmem_ptr(&twin.mem, gpa_of(i), PAGE_SIZE), want + i * PAGE_SIZE,
				    PAGE_SIZE);
}

/* A guest store into the clone, through a nested fault when the page is read-only. */
static void twin_write(u8 *want, u64 i, u8 val)
{
	if (!twin_writable(i))
		assert_true(snapmem_write_fault(&twin, gpa_of(i)));
	assert_true(twin_writable(i));
	*(u8 *)gmem_ptr(&twin.mem, gpa_of(i), 1) = val;
	want[i * PAGE_SIZE] = val;
}

/* A clone shares every frame read-only and copies a page at its first write, by either side;
 * writes never cross from one to the other or into the snapshot; the clone outlives its source
 * (frames are freed with their last holder: teardown finds no page left). */
static void test_clone(void **state)
{
	(void)state;
	static u8 want[sizeof(model)];
	take();
	guest_write(3, 0, 0x11); /* the snapshot holds page 3, RAM the rest */
	memcpy(want, snaps[0].ram, sizeof(want));
	memset(&twin, 0, sizeof(twin));
	assert_true(gmem_init_paged(&twin.mem, vm.mem.size, &fmt));
	twin.mem.low_end = LOW_END; /* the test's layout (mm/gmem.h's puts 3 GiB below 4 GiB) */
	long before = fake_pages_live;
	assert_true(snapmem_clone(&twin, snaps[0].s));
	assert_true(fake_pages_live - before < 8); /* table pages, not RAM */
	assert_int_equal(gmem_private_pages(&twin.mem), 0);
	check_twin(want);
	for (u64 i = 0; i < NPAGES; i++)
		assert_false(twin_writable(i));
	twin_write(want, 5, 0x55); /* the clone's writes: a copy each, the source unchanged */
	assert_true(gmem_write(&twin.mem, gpa_of(6) + PAGE_SIZE - 8, "0123456789abcdef", 16));
	memcpy(want + 7 * PAGE_SIZE - 8, "0123456789abcdef", 16);
	assert_int_equal(gmem_private_pages(&twin.mem), 3);
	assert_true(twin_writable(6)); /* private now: the guest may write it */
	check_twin(want);
	check(true);
	guest_write(8, 0, 0x88); /* the source's write to a frame the clone shares */
	keel_write(9, 0, 4, 0x99);
	check(true);
	check_twin(want);
	assert_non_null(gmem_ptr(&twin.mem, gpa_of(10), 2 * PAGE_SIZE)); /* adjacent frames */
	restore(0);
	check(true);
	check_twin(want);
	/* The clone's own snapshot and rollback. */
	struct snapmem *t = snapmem_take(&twin);
	assert_non_null(t);
	static u8 at_t[sizeof(model)];
	memcpy(at_t, want, sizeof(at_t));
	twin_write(want, 5, 0x56);
	twin_write(want, 12, 0x12);
	assert_true(snapmem_restore(&twin, t));
	memcpy(want, at_t, sizeof(want));
	check_twin(want);
	check(true);
	/* The source goes (its snapshots too): the clone keeps the frames it shares. */
	snapmem_drop_all(&vm);
	gmem_free(&vm.mem);
	memset(&vm.mem, 0, sizeof(vm.mem));
	check_twin(want);
	twin_write(want, 14, 0x14);
	check_twin(want);
	snapmem_drop_all(&twin);
	gmem_free(&twin.mem);
}

/* Where the source's RAM is one aligned 2 MiB run, the clone maps it as one 2 MiB page; its
 * first write splits that mapping, the rest staying shared and read-only. */
static void test_clone_large_pages(void **state)
{
	(void)state;
	static u8 want[sizeof(model)];
	int level;
	take();
	memcpy(want, model, sizeof(want));
	memset(&twin, 0, sizeof(twin));
	assert_true(gmem_init_paged(&twin.mem, vm.mem.size, &fmt));
	twin.mem.low_end = LOW_END;
	assert_true(snapmem_clone(&twin, snaps[0].s));
	assert_true(pt_lookup(&twin.mem.map, 0x1000, NULL, NULL, &level));
	assert_int_equal(level, 2);
	twin_write(want, 1, 0x77);
	assert_true(pt_lookup(&twin.mem.map, 0x1000, NULL, NULL, &level));
	assert_int_equal(level, 1);
	assert_false(twin_writable(0));
	assert_false(twin_writable(2));
	assert_int_equal(gmem_private_pages(&twin.mem), 1);
	check_twin(want);
	check(true);
	snapmem_drop_all(&twin);
	gmem_free(&twin.mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone_large_pages, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
