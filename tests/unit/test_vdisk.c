/* A disk's copy-on-write writes (vdev/vdisk.c): a new private block is written once. A whole
 * block takes the writer's bytes alone (the page is neither cleared nor copied from the base:
 * the fake allocator's junk shows it); a partial one gets exactly the bytes outside the write
 * from what the block read as, the base or zeros, and zeros past the disk's end. The module's
 * bytes never change. */
#include "tests/unit/fakes.h"
#include "vdev/vdisk.h"
#include <string.h>

#define IMG_LEN (64 * 1024 + 1024) /* 16 whole blocks and a short one of two sectors */
#define JUNK	0x5a		   /* what the fake allocator leaves in an uncleared page */
static u8 img[IMG_LEN], orig[IMG_LEN];

static int setup(void **state)
{
	(void)state;
	fake_pages_limit = -1;
	for (u32 i = 0; i < IMG_LEN; i++)
		img[i] = (u8)(i * 7 + i / 4096 + 1); /* never JUNK at a block's start */
	memcpy(orig, img, IMG_LEN);
	return 0;
}

/* The block at off as the store holds it: the private page's whole 4 KiB. */
static const u8 *page_of(const struct vdisk *v, u64 off)
{
	u32 n;
	return vdisk_peek(v, off - off % VDISK_BLOCK, &n);
}

/* A whole block: the page is handed over untouched, the write alone fills it. */
static void test_whole_block(void **state)
{
	(void)state;
	struct vdisk v;
	assert_true(vdisk_init(&v, img, IMG_LEN));
	u8 *p = vdisk_poke(&v, 3 * 4096, 4096);
	assert_non_null(p);
	for (u32 i = 0; i < 4096; i++)
		assert_int_equal(p[i], JUNK); /* no clearing, no copy of the base */
	memset(p, 0xc3, 4096);
	u32 n;
	const u8 *q = vdisk_peek(&v, 3 * 4096 + 5, &n);
	assert_int_equal(n, 4096 - 5);
	assert_int_equal(q[0], 0xc3);
	assert_ptr_equal(vdisk_poke(&v, 3 * 4096 + 8, 8), p + 8); /* private: the same page */
	assert_int_equal(v.private, 1);
	assert_memory_equal(img, orig, IMG_LEN);
	vdisk_free(&v);
}

/* Partial writes into blocks that read as the base: the base's bytes around the write. */
static void test_partial_over_base(void **state)
{
	(void)state;
	static const struct {
		u32 boff, len;
	} cases[] = {{100, 200}, {0, 512}, {3584, 512}, {1, 4095}, {0, 4095}};
	struct vdisk v;
	assert_true(vdisk_init(&v, img, IMG_LEN));
	for (u32 c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		u64 blk = c + 1, off = blk * 4096 + cases[c].boff;
		u8 *p = vdisk_poke(&v, off, cases[c].len);
		assert_non_null(p);
		memset(p, 0xee, cases[c].len);
		const u8 *b = page_of(&v, off);
		for (u32 i = 0; i < 4096; i++) {
			bool in = i >= cases[c].boff && i < cases[c].boff + cases[c].len;
			assert_int_equal(b[i], in ? 0xee : img[blk * 4096 + i]);
		}
	}
	assert_int_equal(v.private, 5);
	assert_memory_equal(img, orig, IMG_LEN);
	vdisk_free(&v);
}

/* A partial write into a zeroed block: zeros around it, and the base is not consulted. */
static void test_partial_over_zeros(void **state)
{
	(void)state;
	struct vdisk v;
	assert_true(vdisk_init(&v, img, IMG_LEN));
	assert_true(vdisk_discard(&v, 7 * 4096, 4096));
	assert_int_equal(v.private, 0);
	u8 *p = vdisk_poke(&v, 7 * 4096 + 1024, 512);
	memset(p, 0x11, 512);
	const u8 *b = page_of(&v, 7 * 4096);
	for (u32 i = 0; i < 4096; i++)
		assert_int_equal(b[i], i >= 1024 && i < 1536 ? 0x11 : 0);
	assert_memory_equal(img, orig, IMG_LEN);
	vdisk_free(&v);
}

/* The short last block: the base's bytes up to the disk's end, zeros past it, whether the
 * write covers the block's disk part (whole) or not. */
static void test_short_last_block(void **state)
{
	(void)state;
	struct vdisk v;
	assert_true(vdisk_init(&v, img, IMG_LEN));
	u64 last = 16 * 4096;
	u8 *p = vdisk_poke(&v, last + 512, 512);
	memset(p, 0x22, 512);
	const u8 *b = page_of(&v, last);
	for (u32 i = 0; i < 4096; i++)
		assert_int_equal(b[i], i < 512 ? img[last + i] : i < 1024 ? 0x22 : 0);
	vdisk_free(&v);
	assert_true(vdisk_init(&v, img, IMG_LEN));
	p = vdisk_poke(&v, last, 1024); /* all of it that lies on the disk */
	memset(p, 0x33, 1024);
	b = page_of(&v, last);
	for (u32 i = 0; i < 4096; i++)
		assert_int_equal(b[i], i < 1024 ? 0x33 : 0);
	assert_memory_equal(img, orig, IMG_LEN);
	vdisk_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_whole_block, setup),
		cmocka_unit_test_setup(test_partial_over_base, setup),
		cmocka_unit_test_setup(test_partial_over_zeros, setup),
		cmocka_unit_test_setup(test_short_last_block, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
