/* The guest's PCI bus (issue 14 item 1), as a driver sees it through configuration mechanism 1
 * (PCI 3.0 3.2.2.3.2): bus 0 enumerated (the i440FX host bridge at 00:00.0), then the first
 * virtio function (vendor 0x1af4; virtio-rng, device 0x1044, preferred): its BARs sized
 * (6.2.5.1) and placed in the window keel's DSDT gives, its MSI-X BAR moved and the MMIO range
 * following (the table's first vector control reads 1, masked, at the new address and
 * all-ones at the old), memory decoding toggled, and, with virtio-rng, one request on its
 * queue answered by an MSI-X interrupt (virtio 1.2 4.1.4, 2.7) and another by INTx through the
 * I/O APIC pin the _PRT names (level, active low), with the status register's interrupt bit.
 * Without a virtio function it prints SKIP and passes. */
#include "rt/apic.h"
#include "rt/trap.h"

#define IOAPIC	 0xfec00000u
#define WIN_BASE 0xc0000000u /* the DSDT's BAR window */
#define WIN_END	 0xfec00000u
#define MSI_VEC	 0x50
#define INTX_VEC 0x51
#define ONES	 0xffffffffu

static u32 cfg_rd(u32 dev, u32 reg)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (reg & 0xfc));
	return inl(0xcfc);
}

static void cfg_wr(u32 dev, u32 reg, u32 val)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (reg & 0xfc));
	outl(0xcfc, val);
}

static u32 rd32(uintptr_t a)
{
	return *(volatile u32 *)a;
}

static void wr32(uintptr_t a, u32 v)
{
	*(volatile u32 *)a = v;
}

static void wr16(uintptr_t a, u16 v)
{
	*(volatile u16 *)a = v;
}

static void wr8(uintptr_t a, u8 v)
{
	*(volatile u8 *)a = v;
}

/* The first function with vendor 0x1af4 (device 0x1044 if there is one), or 0. */
static u32 find_virtio(void)
{
	u32 first = 0;
	for (u32 d = 1; d < 32; d++) {
		u32 id = cfg_rd(d, 0);
		if ((id & 0xffff) != 0x1af4)
			continue;
		if (id >> 16 == 0x1044)
			return d;
		if (!first)
			first = d;
	}
	return first;
}

/* The capability with this ID (and, for a virtio one, cfg_type), 0 if none. */
static u32 find_cap(u32 dev, u8 id, u8 type)
{
	for (u32 at = cfg_rd(dev, 0x34) & 0xfc; at; at = (cfg_rd(dev, at) >> 8) & 0xfc) {
		u32 head = cfg_rd(dev, at);
		if ((head & 0xff) == id && (id != 0x09 || ((head >> 24) & 0xff) == type))
			return at;
	}
	return 0;
}

/* BAR i's address (32 bits of it: keel places BARs below 4 GiB). */
static u32 bar_addr(u32 dev, u32 i)
{
	return cfg_rd(dev, 0x10 + 4 * i) & ~0xfu;
}

/* Size every BAR with decoding off and give the values back, as Linux's scan does. */
static void size_bars(u32 dev)
{
	u32 cmd = cfg_rd(dev, 0x04) & 0xffff, before[6], same = 1;
	cfg_wr(dev, 0x04, cmd & ~2u);
	for (u32 i = 0; i < 6; i++)
		before[i] = cfg_rd(dev, 0x10 + 4 * i);
	for (u32 i = 0; i < 6; i++) {
		u32 old = cfg_rd(dev, 0x10 + 4 * i);
		cfg_wr(dev, 0x10 + 4 * i, ONES);
		u32 mask = cfg_rd(dev, 0x10 + 4 * i);
		cfg_wr(dev, 0x10 + 4 * i, old);
		if (!mask)
			continue;
		u32 size = ~(mask & ~0xfu) + 1;
		bool is64 = (mask & 6) == 4;
		printf("pci: 00:%02x.0 BAR%u: 0x%x bytes at 0x%x%s%s\n", dev, i, size, old & ~0xfu,
		       is64 ? ", 64-bit" : "", mask & 8 ? ", prefetchable" : "");
		check(!(mask & 1), "BAR%u is a memory BAR", i);
		check((old & ~0xfu) >= WIN_BASE && (old & ~0xfu) + size <= WIN_END,
		      "BAR%u in the DSDT's window", i);
		check(!((old & ~0xfu) & (size - 1)), "BAR%u naturally aligned", i);
		if (is64) {
			i++;
			check(cfg_rd(dev, 0x10 + 4 * i) == 0, "BAR%u's upper half is 0", i - 1);
		}
	}
	for (u32 i = 0; i < 6; i++)
		same &= cfg_rd(dev, 0x10 + 4 * i) == before[i];
	check(same, "sizing gave every BAR its address back");
	cfg_wr(dev, 0x04, cmd);
}

/* The MSI-X table's BAR moves (by its size, inside the window) and its range follows; with
 * decoding off the BAR reads all-ones. Returns the table's address. */
static uintptr_t move_msix_bar(u32 dev, u32 cap)
{
	u32 bir = cfg_rd(dev, cap + 4) & 7, toff = cfg_rd(dev, cap + 4) & ~7u;
	u32 old = bar_addr(dev, bir), reg = 0x10 + 4 * bir;
	cfg_wr(dev, reg, ONES);
	u32 size = ~(cfg_rd(dev, reg) & ~0xfu) + 1;
	u32 to = (WIN_END - 0x1000000u) & ~(size - 1); /* near the window's top */
	cfg_wr(dev, reg, to | (cfg_rd(dev, reg) & 0xf));
	check(bar_addr(dev, bir) == to, "BAR%u moved from 0x%x to 0x%x", bir, old, to);
	check(rd32(to + toff + 12) == 1, "the MSI-X table answers at the new address (masked)");
	check(rd32(old + toff + 12) == ONES, "the old address reads all-ones");
	u32 cmd = cfg_rd(dev, 0x04) & 0xffff;
	cfg_wr(dev, 0x04, cmd & ~2u);
	check(rd32(to + toff + 12) == ONES, "memory decoding off: the BAR reads all-ones");
	cfg_wr(dev, 0x04, cmd | 2u);
	check(rd32(to + toff + 12) == 1, "memory decoding on: the BAR answers again");
	return to + toff;
}

/* ---- virtio-rng: one queue, requests of 16 bytes (virtio 1.2 4.1.4, 2.7) ---- */

struct vq_desc {
	u64 addr;
	u32 len;
	u16 flags, next;
};
static struct vq_desc desc[8] __attribute__((aligned(16)));
static volatile u16 avail[2 + 8 + 1] __attribute__((aligned(2)));
static volatile u32 used[1 + 2 * 8 + 1] __attribute__((aligned(4)));
static u8 entropy[2][16];
static volatile u32 msi_hits, intx_hits, intx_status;
static uintptr_t common, notify, isr;
static u32 the_dev;

void msi_isr(void);
void msi_isr(void)
{
	msi_hits++;
	apic_eoi();
}
IRQ_STUB(msi_stub, msi_isr);

/* INTx: the status bit is set until the ISR register's read takes the line down (4.1.4.5). */
void intx_isr(void);
void intx_isr(void)
{
	intx_status = cfg_rd(the_dev, 0x04) >> 16;
	(void)*(volatile u8 *)isr;
	intx_hits++;
	apic_eoi();
}
IRQ_STUB(intx_stub, intx_isr);

/* A virtio capability's address: its BAR's base plus its offset. */
static uintptr_t vcap(u32 dev, u32 at)
{
	return bar_addr(dev, cfg_rd(dev, at + 4) & 0xff) + cfg_rd(dev, at + 8);
}

/* Reset, features (VERSION_1 only), queue 0 with MSI-X vector 0, DRIVER_OK (3.1.1). */
static bool rng_start(u32 dev)
{
	u32 c = find_cap(dev, 0x09, 1), n = find_cap(dev, 0x09, 2), i = find_cap(dev, 0x09, 3);
	if (!check(c && n && i, "virtio common, notify and ISR capabilities"))
		return false;
	common = vcap(dev, c), isr = vcap(dev, i);
	u32 mult = cfg_rd(dev, n + 16);
	wr8(common + 0x14, 0);
	wr8(common + 0x14, 1 | 2);
	wr32(common + 0x08, 1);
	wr32(common + 0x0c, 1); /* VIRTIO_F_VERSION_1: feature bit 32 */
	wr32(common + 0x08, 0);
	wr32(common + 0x0c, 0);
	wr8(common + 0x14, 1 | 2 | 8);
	if (!check(*(volatile u8 *)(common + 0x14) & 8, "virtio FEATURES_OK"))
		return false;
	wr16(common + 0x16, 0);
	wr16(common + 0x18, 8);
	wr16(common + 0x1a, 0);
	notify = vcap(dev, n) + *(volatile u16 *)(common + 0x1e) * mult;
	wr32(common + 0x20, (u32)(uintptr_t)desc);
	wr32(common + 0x24, 0);
	wr32(common + 0x28, (u32)(uintptr_t)avail);
	wr32(common + 0x2c, 0);
	wr32(common + 0x30, (u32)(uintptr_t)used);
	wr32(common + 0x34, 0);
	wr16(common + 0x1c, 1);
	wr8(common + 0x14, 1 | 2 | 8 | 4);
	return true;
}

/* Request k: a 16-byte writable buffer; wait for the used ring and the interrupt. */
static bool rng_request(u32 k, const volatile u32 *hits)
{
	desc[k] = (struct vq_desc){(u64)(uintptr_t)entropy[k], 16, 2 /* WRITE */, 0};
	avail[2 + k] = (u16)k;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	avail[1] = (u16)(k + 1);
	wr16(notify, 0);
	u64 start = rdtsc(), limit = 2000 * tsc_khz();
	while (!*hits && rdtsc() - start < limit)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	return (used[0] >> 16) == k + 1;
}

/* An MSI-X interrupt for a request, then INTx for another with MSI-X off. */
static void interrupts(u32 dev, u32 cap, uintptr_t table)
{
	the_dev = dev;
	trap_set_gate(MSI_VEC, msi_stub, 0);
	trap_set_gate(INTX_VEC, intx_stub, 0);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	wr32(table, 0xfee00000u); /* vector 0: to APIC 0, physical */
	wr32(table + 4, 0);
	wr32(table + 8, MSI_VEC);
	wr32(table + 12, 0);
	cfg_wr(dev, cap, cfg_rd(dev, cap) | 0x80000000u);    /* MSI-X enable */
	cfg_wr(dev, 0x04, (cfg_rd(dev, 0x04) & 0xffff) | 4); /* bus master */
	if (!rng_start(dev))
		return;
	check(rng_request(0, &msi_hits), "virtio-rng answered a request");
	check(msi_hits == 1, "its MSI-X vector arrived (%u)", msi_hits);
	/* INTx: MSI-X off; the _PRT's GSI for the slot's pin, level, active low. */
	u32 pin = (cfg_rd(dev, 0x3c) >> 8) & 0xff;
	u32 gsi = 16 + (dev + pin - 1) % 8;
	cfg_wr(dev, cap, cfg_rd(dev, cap) & ~0x80000000u);
	*(volatile u32 *)IOAPIC = 0x11 + 2 * gsi;
	*(volatile u32 *)(IOAPIC + 0x10) = 0;
	*(volatile u32 *)IOAPIC = 0x10 + 2 * gsi;
	*(volatile u32 *)(IOAPIC + 0x10) = INTX_VEC | 1u << 13 | 1u << 15;
	check(rng_request(1, &intx_hits), "a second request answered");
	check(intx_hits == 1, "INTx arrived through I/O APIC pin %u (%u)", gsi, intx_hits);
	check(intx_status & 8, "status bit 3 was set in the handler");
	check(!((cfg_rd(dev, 0x04) >> 16) & 8), "reading the ISR took the line down");
	wr8(common + 0x14, 0);
}

int guest_main(void)
{
	trap_init();
	check(cfg_rd(0, 0) == 0x12378086, "00:00.0 is the i440FX host bridge");
	for (u32 d = 1; d < 32; d++) {
		u32 id = cfg_rd(d, 0);
		if (id != ONES)
			printf("pci: 00:%02x.0 %04x:%04x class %06x\n", d, id & 0xffff, id >> 16,
			       cfg_rd(d, 8) >> 8);
	}
	u32 dev = find_virtio();
	if (!dev) {
		printf("SKIP: no virtio function on bus 0\n");
		return check_done();
	}
	check((cfg_rd(dev, 0x04) & 2) && ((cfg_rd(dev, 0x04) >> 16) & 0x10),
	      "memory decoding on and a capability list");
	size_bars(dev);
	u32 cap = find_cap(dev, 0x11, 0);
	if (!check(cap, "an MSI-X capability"))
		return check_done();
	uintptr_t table = move_msix_bar(dev, cap);
	if (cfg_rd(dev, 0) >> 16 == 0x1044)
		interrupts(dev, cap, table);
	else
		printf("SKIP: interrupts: not virtio-rng\n");
	return check_done();
}
