/* A disk's overlay in snapshots (issue 15): vdev/vdisk.c's copy (only the written blocks, the
 * copy independent of its source, every page back when freed, out of memory leaving nothing),
 * its walk and its block setter; mgmt/snapfile.c's DISK and DBLOCK records written and read
 * back, and files with them missing, out of order or lying refused. */
#include "tests/unit/fakes.h"
#include "lib/codec.h"
#include "mgmt/snapfile.h"
#include "vdev/vdisk.h"
#include <string.h>

#define IMG_LEN (4 * MiB + 512) /* two levels of tree */
static u8 img[IMG_LEN];

static void fill(u8 *p, u32 n, u8 v)
{
	memset(p, v, n);
}

static u8 byte_at(const struct vdisk *v, u64 off)
{
	u32 n;
	return *vdisk_peek(v, off, &n);
}

/* The copy holds what was written, costs as many pages as the source, and is its own. */
static void test_copy(void **state)
{
	(void)state;
	for (u32 i = 0; i < IMG_LEN; i++)
		img[i] = (u8)(i / 4096 + 7);
	struct vdisk a, b;
	assert_true(vdisk_init(&a, img, IMG_LEN));
	assert_true(vdisk_init(&b, img, IMG_LEN));
	long pages = fake_pages_live;
	assert_true(vdisk_copy(&b, &a)); /* nothing written: nothing taken */
	assert_int_equal(fake_pages_live, pages);
	fill(vdisk_poke(&a, 8192 + 10, 20), 20, 0xaa);
	fill(vdisk_poke(&a, 4 * MiB, 512), 512, 0xbb); /* the last, short block */
	assert_true(vdisk_zero(&a, 3 * 4096, 4096));
	long used = fake_pages_live - pages;
	assert_true(vdisk_copy(&b, &a));
	assert_int_equal(fake_pages_live - pages, 2 * used);
	assert_int_equal(b.private, a.private);
	assert_int_equal(b.nodes, a.nodes);
	assert_int_equal(byte_at(&b, 8192 + 10), 0xaa);
	assert_int_equal(byte_at(&b, 8192 + 9), img[8192]); /* the rest of the block: the base's */
	assert_int_equal(byte_at(&b, 4 * MiB), 0xbb);
	assert_int_equal(byte_at(&b, 3 * 4096), 0);
	assert_int_equal(byte_at(&b, 5 * 4096), img[5 * 4096]);
	/* writing either leaves the other */
	fill(vdisk_poke(&a, 8192 + 10, 1), 1, 0x01);
	fill(vdisk_poke(&b, 20 * 4096, 1), 1, 0x02);
	assert_int_equal(byte_at(&b, 8192 + 10), 0xaa);
	assert_int_equal(byte_at(&a, 20 * 4096), img[20 * 4096]);
	vdisk_free(&a);
	assert_int_equal(byte_at(&b, 8192 + 10), 0xaa);
	vdisk_free(&b);
	assert_int_equal(fake_pages_live, pages);
}

/* Out of memory at every step of a copy: false, the copy empty, no page lost. */
static void test_copy_out_of_memory(void **state)
{
	(void)state;
	struct vdisk a, b;
	assert_true(vdisk_init(&a, img, IMG_LEN));
	for (u64 blk = 0; blk < 1024; blk += 100)
		assert_non_null(vdisk_poke(&a, blk * 4096, 1));
	long pages = fake_pages_live, need = (long)(a.private + a.nodes);
	for (long room = 0; room < need; room++) {
		assert_true(vdisk_init(&b, img, IMG_LEN));
		fake_pages_limit = pages + room;
		assert_false(vdisk_copy(&b, &a));
		fake_pages_limit = -1;
		assert_int_equal(b.root, 0);
		assert_int_equal(fake_pages_live, pages);
	}
	fake_pages_limit = pages + need;
	assert_true(vdisk_copy(&b, &a));
	fake_pages_limit = -1;
	vdisk_free(&a);
	vdisk_free(&b);
}

static u64 walked[8], nwalked;
static bool walk(void *ctx, u64 blk, const u8 *data)
{
	(void)ctx;
	walked[nwalked++] = blk | (data ? 0 : 1ull << 63);
	return nwalked < 3;
}

/* The walk goes in block order across leaf pages, says which are zero, and stops when told. */
static void test_each_and_set(void **state)
{
	(void)state;
	struct vdisk a, b;
	assert_true(vdisk_init(&a, img, IMG_LEN));
	assert_true(vdisk_init(&b, img, IMG_LEN));
	assert_non_null(vdisk_poke(&a, 1000 * 4096, 1));
	assert_non_null(vdisk_poke(&a, 4096, 1));
	assert_true(vdisk_discard(&a, 600 * 4096, 4096));
	assert_non_null(vdisk_poke(&a, 1024 * 4096, 1));
	nwalked = 0;
	assert_false(vdisk_each(&a, walk, NULL));
	assert_int_equal(nwalked, 3);
	assert_int_equal(walked[0], 1);
	assert_int_equal(walked[1], 600 | 1ull << 63);
	assert_int_equal(walked[2], 1000);
	u8 blk[4096];
	fill(blk, sizeof(blk), 0x5c);
	assert_true(vdisk_set(&b, 1024, blk)); /* the short last block: 512 bytes taken */
	assert_true(vdisk_set(&b, 2, NULL));
	assert_int_equal(byte_at(&b, 4 * MiB + 511), 0x5c);
	assert_int_equal(byte_at(&b, 2 * 4096 + 5), 0);
	assert_int_equal(b.private, 1);
	vdisk_free(&a);
	vdisk_free(&b);
}

static u8 file[64 * 1024];

/* A file with one disk of 3 blocks written (one zero) and one page. skip: a record type left
 * out; extra: another DBLOCK put in. */
static u64 build(u16 skip, bool extra)
{
	u64 at = 0, records = 3;
	struct snapf_header h = {.nvcpus = 1, .ram = 8 << 20, .ndisks = 1};
	memcpy(h.format, "keelsnap", 8);
	strcpy(h.vm, "a");
	strcpy(h.tag, "t");
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_HEADER, &h, sizeof(h)));
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_VCPUS, "v", 1));
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_DEVICES, "d", 1));
	struct snapf_disk d = {.len = IMG_LEN, .crc = snapfile_disk_crc(img, IMG_LEN), .blocks = 3};
	strcpy(d.name, "disk.img");
	if (skip != SNAPF_DISK) {
		assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_DISK, &d, sizeof(d)));
		records++;
	}
	static u8 rec[sizeof(struct snapf_dblock) + 4096];
	for (u32 i = 0; i < 3u + extra && skip != SNAPF_DBLOCK; i++) {
		struct snapf_dblock b = {.blk = i * 500, .flags = i == 1 ? SNAPF_DBLOCK_ZERO : 0};
		memcpy(rec, &b, sizeof(b));
		fill(rec + sizeof(b), 4096, (u8)(i + 1));
		u32 n = sizeof(b) + (i == 1 ? 0 : 4096);
		assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_DBLOCK, rec, n));
		records++;
	}
	static u8 page[8 + 4096];
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_PAGE, page, sizeof(page)));
	struct snapf_end e = {records + 1, 1};
	assert_true(snapfile_put(file, sizeof(file), &at, SNAPF_END, &e, sizeof(e)));
	return at;
}

static u64 got_blk[4];
static u32 ngot;
static bool got(void *ctx, u32 disk, u64 blk, const u8 *data)
{
	(void)ctx;
	assert_int_equal(disk, 0);
	assert_true(data ? data[4095] == ngot + 1 : ngot == 1);
	got_blk[ngot++] = blk;
	return true;
}

static void test_file_disks(void **state)
{
	(void)state;
	struct snapf_view v;
	u64 len = build(0, false);
	assert_null(snapfile_parse(file, len, &v));
	assert_int_equal(v.h.ndisks, 1);
	assert_int_equal(v.disk[0].len, IMG_LEN);
	assert_int_equal(v.disk[0].crc, snapfile_disk_crc(img, IMG_LEN));
	assert_string_equal(v.disk[0].name, "disk.img");
	assert_int_equal(v.dblocks, 3);
	assert_int_equal(v.pages, 1);
	ngot = 0;
	assert_true(snapfile_dblocks(file, len, got, NULL));
	assert_int_equal(ngot, 3);
	assert_int_equal(got_blk[2], 1000);
	/* a disk's record or its blocks missing, one block too many */
	assert_non_null(snapfile_parse(file, build(SNAPF_DISK, false), &v));
	assert_non_null(snapfile_parse(file, build(SNAPF_DBLOCK, false), &v));
	assert_non_null(snapfile_parse(file, build(0, true), &v));
	/* the identity's CRC covers the first and the last block only */
	u32 crc = snapfile_disk_crc(img, IMG_LEN);
	img[IMG_LEN - 1] ^= 1;
	assert_int_not_equal(snapfile_disk_crc(img, IMG_LEN), crc);
	img[IMG_LEN - 1] ^= 1;
	img[IMG_LEN / 2] ^= 1;
	assert_int_equal(snapfile_disk_crc(img, IMG_LEN), crc);
	img[IMG_LEN / 2] ^= 1;
}

/* A block past the disk's end, a zero block with bytes, a DISK after the pages: refused. */
static void test_file_disk_lies(void **state)
{
	(void)state;
	struct snapf_view v;
	u64 len = build(0, false);
	struct snapf_rec r;
	u64 off = 4 * sizeof(r) + sizeof(struct snapf_header) + 2 + sizeof(struct snapf_disk);
	memcpy(&r, file + off, sizeof(r)); /* the first DBLOCK */
	assert_int_equal(r.type, SNAPF_DBLOCK);
	struct snapf_dblock b = {.blk = IMG_LEN / 4096 + 1};
	memcpy(file + off + sizeof(r), &b, sizeof(b));
	r.crc = crc32(0, file + off + sizeof(r), r.len);
	memcpy(file + off, &r, sizeof(r));
	assert_string_equal(snapfile_parse(file, len, &v),
			    "a disk block record is past its disk's end");
	b = (struct snapf_dblock){.flags = SNAPF_DBLOCK_ZERO};
	memcpy(file + off + sizeof(r), &b, sizeof(b));
	r.crc = crc32(0, file + off + sizeof(r), r.len);
	memcpy(file + off, &r, sizeof(r));
	assert_string_equal(snapfile_parse(file, len, &v), "a disk block record is malformed");
	struct snapf_header h;
	len = build(0, false);
	memcpy(&h, file + sizeof(r), sizeof(h));
	h.ndisks = 9;
	memcpy(file + sizeof(r), &h, sizeof(h));
	memcpy(&r, file, sizeof(r));
	r.crc = crc32(0, &h, sizeof(h));
	memcpy(file, &r, sizeof(r));
	assert_non_null(snapfile_parse(file, len, &v));
}

int main(void)
{
	fake_pages_limit = -1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy),	       cmocka_unit_test(test_copy_out_of_memory),
		cmocka_unit_test(test_each_and_set),   cmocka_unit_test(test_file_disks),
		cmocka_unit_test(test_file_disk_lies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
