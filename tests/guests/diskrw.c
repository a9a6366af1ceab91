/* The guest the disk snapshot tests watch (issue 15): it finds the first virtio-blk function on
 * PCI bus 0 (its COMMON and NOTIFY capabilities, virtio 1.2 4.1.4), writes generation 1 of a
 * pattern to a few sectors (a whole 4 KiB block, one sector of another, one sector near the
 * end), keeping the generation it wrote in its memory, and prints
 *
 *     diskrw: wrote generation G
 *
 * then every period=MS (200) reads the sectors back and prints
 *
 *     PASS: round N: the disk holds generation G      (or ... BAD: it holds something else)
 *
 * At round switch=N (6) it writes generation 2. A rollback restores memory and disk together,
 * so the generation in memory and on the disk agree whatever the rounds were; a disk left as it
 * was would show BAD. It answers the ACPI power button as tests/guests/counter.c does. Run with
 * a disk of at least 64 KiB (its contents do not matter) and mem=16M. */
#include "rt/nap.h"
#include "rt/vio.h"

#define QSZ	4
#define PM1_STS 0x600
#define PM1_EN	0x602
#define PM1_CNT 0x604
#define PWRBTN	0x0100
#define SLP_EN	0x2000
#define T_IN	0
#define T_OUT	1
#define NSECT	10

static struct desc desc[QSZ] __attribute__((aligned(4096)));
static volatile VIO_AVAIL(QSZ) avail __attribute__((aligned(4096)));
static volatile VIO_USED(QSZ) used __attribute__((aligned(4096)));
static u8 sect[512] __attribute__((aligned(512)));
static volatile u8 status;
static volatile u64 generation; /* what this guest last wrote: a rollback restores it too */
static uintptr_t common, notify;
static u64 capacity;
static u16 avail_idx;

/* COMMON, NOTIFY and DEVICE structures of the virtio-blk at slot; reset and set up its queue. */
static bool find(u8 slot)
{
	struct vio_caps c;
	if (!vio_find(slot, &c) || !c.device)
		return false;
	common = c.common;
	capacity = r32(c.device) | (u64)r32(c.device + 4) << 32;
	/* 3.1.1: reset, ACK, DRIVER, VERSION_1, FEATURES_OK, queue 0, DRIVER_OK */
	w8(common + VIO_STATUS, 0);
	w8(common + VIO_STATUS, 3);
	w32(common + VIO_GFSELECT, 1);
	w32(common + VIO_GF, 1);
	w8(common + VIO_STATUS, 11);
	w16(common + VIO_Q_SELECT, 0);
	w16(common + VIO_Q_SIZE, QSZ);
	w64(common + VIO_Q_DESC, (uintptr_t)desc);
	w64(common + VIO_Q_DRIVER, (uintptr_t)&avail);
	w64(common + VIO_Q_DEVICE, (uintptr_t)&used);
	notify = c.notify + (uintptr_t)r16(common + VIO_Q_NOTIFY_OFF) * c.notify_mult;
	w16(common + VIO_Q_ENABLE, 1);
	w8(common + VIO_STATUS, 15);
	return r8(common + VIO_STATUS) == 15;
}

/* One request on sector s with sect as its data: true if the device said OK. */
static bool request(u32 type, u64 s)
{
	static u32 hdr[4];
	hdr[0] = type;
	hdr[2] = (u32)s;
	hdr[3] = (u32)(s >> 32);
	desc[0] = (struct desc){(uintptr_t)hdr, 16, 1, 1};
	desc[1] = (struct desc){(uintptr_t)sect, 512, (u16)(1 | (type == T_IN ? 2 : 0)), 2};
	desc[2] = (struct desc){(uintptr_t)&status, 1, 2, 0};
	status = 0xff;
	u16 want = (u16)(used.idx + 1);
	avail.ring[avail_idx % QSZ] = 0;
	__asm__ volatile("" ::: "memory");
	avail.idx = ++avail_idx;
	__asm__ volatile("" ::: "memory");
	w16(notify, 0);
	for (u32 i = 0; i < 100000000 && used.idx != want; i++)
		__asm__ volatile("pause" ::: "memory");
	return used.idx == want && status == 0;
}

/* The sectors written: 0-7 (block 0), 25 (a part of block 3), and one near the end. */
static u64 sector(u32 i)
{
	return i < 8 ? i : i == 8 ? 25 : capacity - 3;
}

static u8 byte(u64 gen, u64 s, u32 i)
{
	return (u8)(gen * 0x5b + s * 7 + i * 3 + (i >> 8));
}

static bool write_gen(u64 gen)
{
	for (u32 k = 0; k < NSECT; k++) {
		for (u32 i = 0; i < 512; i++)
			sect[i] = byte(gen, sector(k), i);
		if (!request(T_OUT, sector(k)))
			return false;
	}
	return true;
}

/* The generation the sectors hold, 0 if they hold none wholly. */
static u64 read_gen(void)
{
	u64 gen = 0;
	for (u32 k = 0; k < NSECT; k++) {
		if (!request(T_IN, sector(k)))
			return 0;
		if (!k)
			gen = sect[0] == byte(1, 0, 0) ? 1 : sect[0] == byte(2, 0, 0) ? 2 : 0;
		for (u32 i = 0; gen && i < 512; i++)
			if (sect[i] != byte(gen, sector(k), i))
				return 0;
	}
	return gen;
}

int guest_main(void)
{
	u64 period = cmdline_num("period", 200), flip = cmdline_num("switch", 6);
	trap_init();
	outw(PM1_EN, PWRBTN);
	bool found = false;
	for (u8 slot = 1; slot < 32 && !found; slot++)
		if (pci_cfg32(slot, 0) == VIO_PCI_ID(2))
			found = find(slot);
	if (!found || capacity < 128) {
		puts("diskrw: no virtio-blk disk of 64 KiB: BAD\n");
		return 1;
	}
	generation = 1;
	if (!write_gen(1))
		puts("diskrw: writing generation 1 failed: BAD\n");
	printf("diskrw: wrote generation 1 (%llu sectors)\n", (unsigned long long)capacity);
	for (u64 round = 1;; round++) {
		nap(period * 1000);
		u64 gen = read_gen();
		if (gen == generation)
			printf("PASS: round %llu: the disk holds generation %llu\n",
			       (unsigned long long)round, (unsigned long long)gen);
		else
			printf("round %llu: the disk holds generation %llu, not %llu: BAD\n",
			       (unsigned long long)round, (unsigned long long)gen,
			       (unsigned long long)generation);
		if (round == flip) {
			generation = 2;
			printf("diskrw: wrote generation 2%s\n", write_gen(2) ? "" : ": BAD");
		}
		if (inw(PM1_STS) & PWRBTN) {
			puts("power button\n");
			outw(PM1_STS, PWRBTN);
			outw(PM1_CNT, SLP_EN);
			for (;;)
				__asm__ volatile("cli; hlt");
		}
	}
}
