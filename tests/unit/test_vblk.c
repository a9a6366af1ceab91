/* virtio-blk (vdev/vblk.c) over its copy-on-write store (vdev/vdisk.c): the configuration and
 * features, requests of every type, their bounds, read-only disks, copy-on-write (the base never
 * written, partial blocks, two disks on one image), running out of keel's memory, and a reset
 * that keeps the disk's contents. */
#include "tests/unit/fakes_vdev.h"
#include "tests/unit/fakes_virtio.h"
#include "vdev/vblk.h"
#include "vdev/virtio_kinds.h"
#include <stdlib.h>
#include <string.h>

#define IMG_LEN (64 * KiB)
#define SECTS	(IMG_LEN / 512)

static u8 img[IMG_LEN + 100]; /* the module: 128 sectors and a tail of 100 bytes */
static u8 orig[IMG_LEN + 100];
static struct virtio_dev dev[2];
static struct vm *vm;

/* ---- guest memory and the request queue ---- */

#define QSIZE	 64
#define RINGS(i) (0x1000ull + 0x3000ull * (i)) /* device i's descriptors, then avail, used */
#define BUF	 0x10000ull		       /* the requests' buffers from here */
#define RAM	 (1 * MiB)

static u64 buf_used;

/* Guest memory for len bytes: its guest-physical address. */
static u64 galloc(u32 len)
{
	u64 gpa = BUF + buf_used;
	buf_used += ALIGN_UP(len, 16);
	assert_true(BUF + buf_used <= RAM);
	return gpa;
}

static u8 *host(u64 gpa)
{
	return fake_gpa(gpa);
}

/* The driver's side of device d's queue: the ring set up, DRIVER_OK, no interrupts wanted. */
static void driver_ok(struct virtio_dev *d)
{
	u64 r = RINGS(d->index);
	d->vq[0] = (struct virtq){.size = QSIZE,
				  .msix_vector = VIRTIO_NO_VECTOR,
				  .enabled = true,
				  .desc = r,
				  .avail = r + 0x1000,
				  .used = r + 0x2000};
	d->status =
		VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK | VIRTIO_S_DRIVER_OK;
	d->driver_features = d->features | VIRTIO_F_VERSION_1;
	memset(host(r), 0, 0x3000);
	*(u16 *)host(r + 0x1000) = 1; /* VIRTQ_AVAIL_F_NO_INTERRUPT */
}

/* Offer chain c on d's queue (as descriptors 0, 1, ... of its table) and notify the device:
 * the status byte it wrote at the end of the writable part, or -1 if it gave nothing back;
 * *used gets the length it gave back. */
static int serve(struct virtio_dev *d, struct virtq_chain *c, u32 *used)
{
	u64 r = RINGS(d->index), avail = r + 0x1000, ring_used = r + 0x2000;
	u32 n = c->nout + c->nin;
	for (u32 i = 0; i < n; i++) {
		u16 flags = (u16)((i + 1 < n ? 1 : 0) | (i >= c->nout ? 2 : 0)),
		    next = (u16)(i + 1);
		u8 *x = host(r + 16ull * i);
		memcpy(x, &c->seg[i].gpa, 8);
		memcpy(x + 8, &c->seg[i].len, 4);
		memcpy(x + 12, &flags, 2);
		memcpy(x + 14, &next, 2);
	}
	u16 *aidx = (u16 *)host(avail + 2), uidx = *(u16 *)host(ring_used + 2);
	*(u16 *)host(avail + 4 + 2ull * (*aidx % QSIZE)) = 0;
	(*aidx)++;
	dev_lock(vm); /* as the notify register's write holds it */
	vblk_kind.notify(d, 0);
	dev_unlock(vm);
	if (*(u16 *)host(ring_used + 2) == uidx)
		return -1;
	u32 elem[2];
	memcpy(elem, host(ring_used + 4 + 8ull * (uidx % QSIZE)), 8);
	assert_int_equal(elem[0], 0);
	if (used)
		*used = elem[1];
	struct virtq_seg *s = &c->seg[n - 1];
	return host(s->gpa)[s->len - 1];
}

/* ---- chains ---- */

static void seg(struct virtq_chain *c, u64 gpa, u32 len, bool writable)
{
	c->seg[c->nout + c->nin] = (struct virtq_seg){gpa, len};
	if (writable) {
		c->nin++;
		c->in_len += len;
	} else {
		c->nout++;
		c->out_len += len;
	}
}

/* A request's header in its own segment. */
static void header(struct virtq_chain *c, u32 type, u64 sector)
{
	memset(c, 0, sizeof(*c));
	u64 h = galloc(16);
	memset(host(h), 0, 16);
	memcpy(host(h), &type, 4);
	memcpy(host(h) + 8, &sector, 8);
	seg(c, h, 16, false);
}

static void status_seg(struct virtq_chain *c)
{
	u64 s = galloc(1);
	host(s)[0] = 0xee;
	seg(c, s, 1, true);
}

/* Read n bytes at sector into buf (two data segments, the first 512 bytes long): the status. */
static int rd(struct virtio_dev *d, u64 sector, void *buf, u32 n)
{
	struct virtq_chain c;
	header(&c, VBLK_T_IN, sector);
	u64 g = galloc(n);
	memset(host(g), 0xaa, n);
	if (n > 512) {
		seg(&c, g, 512, true);
		seg(&c, g + 512, n - 512, true);
	} else {
		seg(&c, g, n, true);
	}
	status_seg(&c);
	u32 used = 0;
	int s = serve(d, &c, &used);
	if (s == VBLK_S_OK) {
		assert_int_equal(used, n + 1);
		memcpy(buf, host(g), n);
	}
	return s;
}

/* Write n bytes from buf at sector (past 700 bytes, two segments: a seam inside a block). */
static int wr(struct virtio_dev *d, u64 sector, const void *buf, u32 n)
{
	struct virtq_chain c;
	header(&c, VBLK_T_OUT, sector);
	u64 g = galloc(n);
	memcpy(host(g), buf, n);
	seg(&c, g, MIN(n, 700u), false);
	if (n > 700)
		seg(&c, g + 700, n - 700, false);
	status_seg(&c);
	u32 used = 0;
	int s = serve(d, &c, &used);
	assert_int_equal(used, 1);
	return s;
}

struct range {
	u64 sector;
	u32 n, flags;
};

/* DISCARD or WRITE_ZEROES of nr ranges: the status. */
static int ranges(struct virtio_dev *d, u32 type, const struct range *r, u32 nr)
{
	struct virtq_chain c;
	header(&c, type, 0);
	if (nr) {
		u64 g = galloc(16 * nr);
		for (u32 i = 0; i < nr; i++) {
			memcpy(host(g) + 16 * i, &r[i].sector, 8);
			memcpy(host(g) + 16 * i + 8, &r[i].n, 4);
			memcpy(host(g) + 16 * i + 12, &r[i].flags, 4);
		}
		seg(&c, g, 16 * nr, false);
	}
	status_seg(&c);
	return serve(d, &c, NULL);
}

static int one_range(struct virtio_dev *d, u32 type, u64 sector, u32 n, u32 flags)
{
	struct range r = {sector, n, flags};
	return ranges(d, type, &r, 1);
}

/* ---- set-up ---- */

/* Disk i of the fake VM: the image, as a module named name. */
static void attach(u32 i, bool ro, const char *name, u64 len)
{
	vm->hw.disk[i] = (struct vm_disk){.data = img, .len = len, .ro = ro};
	strncpy(vm->hw.disk[i].name, name, sizeof(vm->hw.disk[i].name) - 1);
	vm->hw.ndisks = MAX(vm->hw.ndisks, i + 1);
	struct virtio_dev *d = &dev[i];
	if (d->state) {
		vdisk_free(&((struct vblk *)d->state)->disk);
		free(d->state);
	}
	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->kind = &vblk_kind;
	d->index = i;
	d->state = calloc(1, vblk_kind.state_size);
	d->pci.vm = vm;
	assert_true(vblk_kind.init(d, i));
	driver_ok(d);
}

static struct vblk *blk(u32 i)
{
	return dev[i].state;
}

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(1, 64 * MiB);
	for (u32 i = 0; i < sizeof(img); i++)
		img[i] = (u8)(i * 7 + i / 4096);
	memcpy(orig, img, sizeof(img));
	fake_ram(vm, RAM);
	buf_used = 0;
	fake_pages_limit = -1;
	log_reset();
	attach(0, false, "build/tests/disk.img", sizeof(img));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (u32 i = 0; i < 2; i++)
		if (dev[i].state) {
			vdisk_free(&blk(i)->disk);
			free(dev[i].state);
			dev[i].state = NULL;
		}
	assert_memory_equal(img, orig, sizeof(img)); /* the module is never written */
	assert_int_equal(fake_pages_live, 0);
	return 0;
}

static u64 cfg(const struct virtio_dev *d, u32 off, u32 len)
{
	u64 v = 0;
	memcpy(&v, d->config + off, len);
	return v;
}

/* ---- the tests ---- */

/* 5.2.3, 5.2.4: the features and configuration a driver reads; a module's tail past a whole
 * sector is not part of the disk, and keel says so. */
static void test_config(void **state)
{
	(void)state;
	const struct virtio_dev *d = &dev[0];
	assert_true(log_contains("the last 100 are ignored"));
	assert_int_equal(vblk_kind.count(vm), 1);
	assert_int_equal(d->features, BIT(2) | BIT(6) | BIT(9) | BIT(13) | BIT(14));
	assert_int_equal(cfg(d, 0, 8), SECTS);
	assert_int_equal(cfg(d, 12, 4), VIRTQ_SEGS_MAX - 2); /* seg_max */
	assert_int_equal(cfg(d, 20, 4), 512);		     /* blk_size */
	assert_int_equal(cfg(d, 36, 4), 1 << 22);	     /* max_discard_sectors */
	assert_int_equal(cfg(d, 40, 4), VBLK_RANGES_MAX);
	assert_int_equal(cfg(d, 44, 4), 8); /* discard_sector_alignment: a 4 KiB block */
	assert_int_equal(cfg(d, 48, 4), 1 << 22);
	assert_int_equal(cfg(d, 52, 4), VBLK_RANGES_MAX);
	assert_int_equal(cfg(d, 56, 1), 1); /* write_zeroes_may_unmap */
	attach(1, true, "ro.img", IMG_LEN);
	assert_true(dev[1].features & BIT(5)); /* VIRTIO_BLK_F_RO */
	assert_int_equal(vblk_kind.count(vm), 2);
}

/* IN reads the image; OUT goes to the VM's copy, read back, the module untouched. */
static void test_read_write(void **state)
{
	(void)state;
	u8 buf[3 * 4096], data[3 * 4096];
	assert_int_equal(rd(&dev[0], 0, buf, 4096), VBLK_S_OK);
	assert_memory_equal(buf, img, 4096);
	for (u32 i = 0; i < sizeof(data); i++)
		data[i] = (u8)~i;
	/* sectors 7-30: the end of block 0, all of blocks 1 and 2, the start of block 3 */
	assert_int_equal(wr(&dev[0], 7, data, 24 * 512), VBLK_S_OK);
	assert_int_equal(rd(&dev[0], 0, buf, sizeof(buf)), VBLK_S_OK);
	assert_memory_equal(buf, img, 7 * 512); /* the part of block 0 before the write */
	assert_memory_equal(buf + 7 * 512, data, sizeof(buf) - 7 * 512);
	assert_int_equal(rd(&dev[0], 31, buf, 512), VBLK_S_OK);
	assert_memory_equal(buf, img + 31 * 512, 512); /* block 3 after the write */
	assert_int_equal(blk(0)->disk.private, 4);
	assert_int_equal(vm->overhead, fake_pages_live * 4096); /* 4 blocks and the tree's page */
	assert_memory_equal(img, orig, sizeof(img));
	/* A second write to a private block takes no new page. */
	long pages = fake_pages_live;
	assert_int_equal(wr(&dev[0], 8, data, 512), VBLK_S_OK);
	assert_int_equal(fake_pages_live, pages);
}

/* The status byte is the writable part's last, even in the same segment as the data. */
static void test_status_shares_a_segment(void **state)
{
	(void)state;
	struct virtq_chain c;
	header(&c, VBLK_T_IN, 2);
	u64 g = galloc(513);
	seg(&c, g, 513, true);
	u32 used = 0;
	assert_int_equal(serve(&dev[0], &c, &used), VBLK_S_OK);
	assert_int_equal(used, 513);
	assert_memory_equal(host(g), img + 1024, 512);
}

/* 5.2.6.1: sectors past the capacity, or lengths that are not whole sectors, are IOERR. */
static void test_bounds(void **state)
{
	(void)state;
	u8 buf[1024] = {0};
	assert_int_equal(rd(&dev[0], SECTS - 1, buf, 512), VBLK_S_OK);
	assert_int_equal(rd(&dev[0], SECTS - 1, buf, 1024), VBLK_S_IOERR);
	assert_int_equal(rd(&dev[0], SECTS, buf, 512), VBLK_S_IOERR);
	assert_int_equal(rd(&dev[0], ~0ull, buf, 512), VBLK_S_IOERR);
	assert_int_equal(rd(&dev[0], ~0ull / 512, buf, 512), VBLK_S_IOERR);
	assert_int_equal(rd(&dev[0], 0, buf, 100), VBLK_S_IOERR);
	assert_int_equal(wr(&dev[0], SECTS, buf, 512), VBLK_S_IOERR);
	assert_int_equal(wr(&dev[0], 0, buf, 513), VBLK_S_IOERR);
	assert_int_equal(wr(&dev[0], SECTS - 1, buf, 512), VBLK_S_OK);
	/* the tail past the last sector is not the disk's: never read, never written */
	assert_int_equal(blk(0)->disk.size, IMG_LEN);
	assert_false(dev[0].broken);
}

/* A read-only disk reads, and every write fails with IOERR. */
static void test_read_only(void **state)
{
	(void)state;
	attach(0, true, "ro.img", IMG_LEN);
	u8 buf[512] = {1};
	assert_int_equal(wr(&dev[0], 0, buf, 512), VBLK_S_IOERR);
	assert_int_equal(one_range(&dev[0], VBLK_T_DISCARD, 0, 8, 0), VBLK_S_IOERR);
	assert_int_equal(one_range(&dev[0], VBLK_T_WRITE_ZEROES, 0, 8, 0), VBLK_S_IOERR);
	assert_int_equal(rd(&dev[0], 0, buf, 512), VBLK_S_OK);
	assert_memory_equal(buf, img, 512);
	assert_int_equal(fake_pages_live, 0);
}

/* FLUSH, GET_ID (the module's file name, NUL-padded, cut at 20 bytes) and an unknown type. */
static void test_flush_id_unsupp(void **state)
{
	(void)state;
	struct virtq_chain c;
	header(&c, VBLK_T_FLUSH, 0);
	status_seg(&c);
	assert_int_equal(serve(&dev[0], &c, NULL), VBLK_S_OK);
	header(&c, VBLK_T_GET_ID, 0);
	u64 g = galloc(20);
	memset(host(g), 0xaa, 20);
	seg(&c, g, 20, true);
	status_seg(&c);
	u32 used;
	assert_int_equal(serve(&dev[0], &c, &used), VBLK_S_OK);
	assert_int_equal(used, 21);
	assert_memory_equal(host(g), "disk.img\0\0\0\0\0\0\0\0\0\0\0\0", 20);

	attach(1, false, "dir/a-disk-name-longer-than-20.img", IMG_LEN);
	header(&c, VBLK_T_GET_ID, 0);
	g = galloc(20);
	seg(&c, g, 20, true);
	status_seg(&c);
	assert_int_equal(serve(&dev[1], &c, NULL), VBLK_S_OK);
	assert_memory_equal(host(g), "a-disk-name-longer-t", 20);
	for (u32 type = 2; type < 20; type++) {
		if (type == VBLK_T_FLUSH || type == VBLK_T_GET_ID || type == VBLK_T_DISCARD ||
		    type == VBLK_T_WRITE_ZEROES)
			continue;
		header(&c, type, 0);
		status_seg(&c);
		assert_int_equal(serve(&dev[0], &c, NULL), VBLK_S_UNSUPP);
	}
	assert_false(dev[0].broken);
}

/* DISCARD drops whole blocks (they read as zeros, their pages freed) and leaves partial ones;
 * WRITE_ZEROES zeroes partial blocks too. Bad flags are UNSUPP, bad ranges IOERR (5.2.6.2). */
static void test_discard_write_zeroes(void **state)
{
	(void)state;
	u8 buf[4096], ones[8192];
	memset(ones, 1, sizeof(ones));
	assert_int_equal(wr(&dev[0], 0, ones, 8192), VBLK_S_OK); /* blocks 0 and 1 private */
	long pages = fake_pages_live;
	/* sectors 4-15: the second half of block 0, all of block 1 */
	assert_int_equal(one_range(&dev[0], VBLK_T_DISCARD, 4, 12, 0), VBLK_S_OK);
	assert_int_equal(fake_pages_live, pages - 1);
	assert_int_equal(rd(&dev[0], 0, buf, 4096), VBLK_S_OK);
	assert_memory_equal(buf, ones, 4096); /* a partial block is left as it was */
	assert_int_equal(rd(&dev[0], 8, buf, 4096), VBLK_S_OK);
	for (u32 i = 0; i < 4096; i++)
		assert_int_equal(buf[i], 0);
	/* write zeroes over sectors 1-2 (partial) and blocks 4-5 of the base (whole) */
	struct range r[2] = {{1, 2, 0}, {32, 16, 1}};
	assert_int_equal(ranges(&dev[0], VBLK_T_WRITE_ZEROES, r, 2), VBLK_S_OK);
	assert_int_equal(rd(&dev[0], 0, buf, 2048), VBLK_S_OK);
	assert_memory_equal(buf, ones, 512);
	for (u32 i = 512; i < 1536; i++)
		assert_int_equal(buf[i], 0);
	assert_memory_equal(buf + 1536, ones, 512);
	assert_int_equal(rd(&dev[0], 32, buf, 4096), VBLK_S_OK);
	for (u32 i = 0; i < 4096; i++)
		assert_int_equal(buf[i], 0);
	/* a zero block written again gets a fresh page of zeros under the write */
	assert_int_equal(wr(&dev[0], 33, ones, 512), VBLK_S_OK);
	assert_int_equal(rd(&dev[0], 32, buf, 2048), VBLK_S_OK);
	for (u32 i = 0; i < 512; i++)
		assert_int_equal(buf[i], 0);
	assert_memory_equal(buf + 512, ones, 512);

	assert_int_equal(one_range(&dev[0], VBLK_T_DISCARD, 0, 8, 1), VBLK_S_UNSUPP);
	assert_int_equal(one_range(&dev[0], VBLK_T_WRITE_ZEROES, 0, 8, 2), VBLK_S_UNSUPP);
	assert_int_equal(one_range(&dev[0], VBLK_T_DISCARD, SECTS - 8, 9, 0), VBLK_S_IOERR);
	assert_int_equal(one_range(&dev[0], VBLK_T_DISCARD, ~0ull, 1, 0), VBLK_S_IOERR);
	assert_int_equal(one_range(&dev[0], VBLK_T_WRITE_ZEROES, 0, (1 << 22) + 1, 0),
			 VBLK_S_IOERR);
	assert_int_equal(ranges(&dev[0], VBLK_T_DISCARD, NULL, 0), VBLK_S_IOERR);
	struct range many[VBLK_RANGES_MAX + 1] = {{0}};
	assert_int_equal(ranges(&dev[0], VBLK_T_DISCARD, many, VBLK_RANGES_MAX + 1), VBLK_S_IOERR);
	/* one bad range fails the request before any range is applied */
	struct range bad[2] = {{8, 8, 0}, {SECTS, 8, 0}};
	assert_int_equal(wr(&dev[0], 8, ones, 4096), VBLK_S_OK);
	assert_int_equal(ranges(&dev[0], VBLK_T_WRITE_ZEROES, bad, 2), VBLK_S_IOERR);
	assert_int_equal(rd(&dev[0], 8, buf, 4096), VBLK_S_OK);
	assert_memory_equal(buf, ones, 4096);
	assert_false(dev[0].broken);
}

/* A chain with no room for the header or the status is the driver lying: the device is
 * marked broken with a log line, and nothing is pushed. */
static void test_malformed(void **state)
{
	(void)state;
	struct virtq_chain c;
	memset(&c, 0, sizeof(c));
	seg(&c, galloc(8), 8, false);
	status_seg(&c);
	assert_int_equal(serve(&dev[0], &c, NULL), -1);
	assert_true(dev[0].broken);
	assert_true(log_contains("no room for its header or status"));
	dev[0].broken = false;
	header(&c, VBLK_T_IN, 0);
	assert_int_equal(serve(&dev[0], &c, NULL), -1);
	assert_true(dev[0].broken);
}

/* One notify serves every request made available since the last, in order. */
static void test_batch(void **state)
{
	(void)state;
	u64 r = RINGS(0), avail = r + 0x1000, used = r + 0x2000;
	u64 st = galloc(3);
	for (u16 i = 0; i < 3; i++) {
		struct virtq_chain c;
		header(&c, i == 1 ? 99 : VBLK_T_FLUSH, 0);
		u16 f = 1, w = 2, next = (u16)(2 * i + 1);
		u8 *x = host(r + 32ull * i);
		memcpy(x, &c.seg[0].gpa, 8);
		memcpy(x + 8, &c.seg[0].len, 4);
		memcpy(x + 12, &f, 2);
		memcpy(x + 14, &next, 2);
		u64 g = st + i;
		u32 one = 1;
		memcpy(x + 16, &g, 8);
		memcpy(x + 24, &one, 4);
		memcpy(x + 28, &w, 2);
		*(u16 *)host(avail + 4 + 2ull * i) = (u16)(2 * i);
	}
	*(u16 *)host(avail + 2) = 3;
	dev_lock(vm);
	vblk_kind.notify(&dev[0], 0);
	dev_unlock(vm);
	assert_int_equal(*(u16 *)host(used + 2), 3);
	for (u32 i = 0; i < 3; i++)
		assert_int_equal(*(u32 *)host(used + 4 + 8 * i), 2 * i);
	assert_memory_equal(host(st), "\0\2\0", 3);
}

/* Two disks on one image: each sees its own writes only, and the image none. */
static void test_two_disks_one_image(void **state)
{
	(void)state;
	attach(1, false, "build/tests/disk.img", sizeof(img));
	u8 a[512], b[512], buf[512];
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	assert_int_equal(wr(&dev[0], 3, a, 512), VBLK_S_OK);
	assert_int_equal(rd(&dev[1], 3, buf, 512), VBLK_S_OK);
	assert_memory_equal(buf, img + 3 * 512, 512);
	assert_int_equal(wr(&dev[1], 3, b, 512), VBLK_S_OK);
	assert_int_equal(rd(&dev[0], 3, buf, 512), VBLK_S_OK);
	assert_memory_equal(buf, a, 512);
	assert_int_equal(rd(&dev[1], 3, buf, 512), VBLK_S_OK);
	assert_memory_equal(buf, b, 512);
	assert_memory_equal(img, orig, sizeof(img));
}

/* Out of keel's memory: the write fails with IOERR and one log line, the disk unchanged; with
 * memory back, writes work again. */
static void test_out_of_memory(void **state)
{
	(void)state;
	u8 ones[4096], buf[4096];
	memset(ones, 1, sizeof(ones));
	fake_pages_limit = fake_pages_live; /* not even the tree's first page */
	assert_int_equal(wr(&dev[0], 0, ones, 512), VBLK_S_IOERR);
	assert_int_equal(wr(&dev[0], 0, ones, 512), VBLK_S_IOERR);
	assert_int_equal(one_range(&dev[0], VBLK_T_WRITE_ZEROES, 0, 8, 0), VBLK_S_IOERR);
	int lines = 0;
	for (int i = 0; i < log_count(); i++)
		lines += strstr(log_line(i), "out of memory") != NULL;
	assert_int_equal(lines, 1);
	fake_pages_limit = fake_pages_live + 1; /* the tree's page, then no block */
	assert_int_equal(wr(&dev[0], 0, ones, 512), VBLK_S_IOERR);
	assert_int_equal(rd(&dev[0], 0, buf, 4096), VBLK_S_OK);
	assert_memory_equal(buf, img, 4096);
	fake_pages_limit = -1;
	assert_int_equal(wr(&dev[0], 0, ones, 4096), VBLK_S_OK);
	assert_int_equal(rd(&dev[0], 0, buf, 4096), VBLK_S_OK);
	assert_memory_equal(buf, ones, 4096);
	assert_false(dev[0].broken);
}

/* The kind's reset (the driver's or the VM's) keeps the disk's contents. */
static void test_reset_keeps_data(void **state)
{
	(void)state;
	u8 ones[512], buf[512];
	memset(ones, 1, sizeof(ones));
	assert_int_equal(wr(&dev[0], 5, ones, 512), VBLK_S_OK);
	vblk_kind.reset(&dev[0]);
	assert_int_equal(rd(&dev[0], 5, buf, 512), VBLK_S_OK);
	assert_memory_equal(buf, ones, 512);
}

/* The tree is as deep as the disk needs, and gives every page back when freed. */
static void test_tree_depth(void **state)
{
	(void)state;
	struct vdisk v;
	assert_true(vdisk_init(&v, img, 2 * MiB));
	assert_int_equal(v.levels, 1);
	assert_true(vdisk_init(&v, img, 2 * MiB + 512));
	assert_int_equal(v.levels, 2);
	assert_true(vdisk_init(&v, img, 1024 * MiB + 512));
	assert_int_equal(v.levels, 3);
	assert_true(vdisk_init(&v, img, 512 * 1024 * MiB));
	assert_false(vdisk_init(&v, img, 512 * 1024 * MiB + 4096));
	/* a 3-level disk over the image's bytes: blocks far apart, each with its own path */
	assert_true(vdisk_init(&v, img, 1024 * MiB + 512));
	long pages = fake_pages_live;
	u8 *p = vdisk_poke(&v, 0, 4096); /* a whole block: nothing copied (tests/unit/test_vdisk) */
	assert_non_null(p);
	assert_int_not_equal(p[1], img[1]);
	assert_non_null(vdisk_poke(&v, 1024 * MiB, 512)); /* the last, short block */
	assert_int_equal(v.private, 2);
	assert_int_equal(v.nodes, 5); /* the root, two middle pages, two leaf pages */
	u32 n;
	assert_ptr_equal(vdisk_peek(&v, 4096 + 8, &n), img + 4096 + 8);
	assert_int_equal(n, 4096 - 8);
	vdisk_peek(&v, 1024 * MiB, &n);
	assert_int_equal(n, 512);
	vdisk_free(&v);
	assert_int_equal(fake_pages_live, pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_shares_a_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_id_unsupp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discard_write_zeroes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_disks_one_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_depth, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
