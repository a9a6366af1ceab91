/* The host's PCI functions (drivers/hpci.h): configuration space through ECAM when ACPI's MCFG
 * gives a window, else through ports 0xcf8/0xcfc; a scan of every bus the window (or the
 * ports) reach; BARs sized and mapped for the drivers. */
#include "drivers/hpci.h"
#include "drivers/acpi.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "kernel/x86.h"
#include "mm/mm.h"

static struct hpci_dev devs[HPCI_MAX];
static u32 ndevs;
static struct spinlock cf8_lock; /* 0xcf8 and 0xcfc are one register pair for every CPU */
static u8 *ecam;		 /* mapped MCFG window, NULL: use the ports */

/* PCI Local Bus 3.0, 3.2.2.3.2: configuration mechanism #1, enable bit 31, bus 23:16,
 * device 15:11, function 10:8, dword register 7:2. */
static u32 cf8_addr(const struct hpci_dev *d, u16 off)
{
	return 0x80000000u | (u32)d->bus << 16 | (u32)d->dev << 11 | (u32)d->fn << 8 |
	       (off & 0xfcu);
}

/* PCI Express 3.0, 7.2.2 (ECAM): 1 MiB a bus, 32 KiB a device, 4 KiB a function. */
static volatile u8 *ecam_at(const struct hpci_dev *d, u16 off)
{
	u64 o = (u64)(d->bus - acpi.ecam_bus_start) << 20 | (u64)d->dev << 15 | (u64)d->fn << 12 |
		off;
	return ecam + o;
}

u32 hpci_read32(const struct hpci_dev *d, u16 off)
{
	if (ecam)
		return *(volatile u32 *)ecam_at(d, off & 0xffc);
	spin_lock(&cf8_lock);
	outl(0xcf8, cf8_addr(d, off));
	u32 v = inl(0xcfc);
	spin_unlock(&cf8_lock);
	return v;
}

u16 hpci_read16(const struct hpci_dev *d, u16 off)
{
	return (u16)(hpci_read32(d, off) >> (8 * (off & 2)));
}

u8 hpci_read8(const struct hpci_dev *d, u16 off)
{
	return (u8)(hpci_read32(d, off) >> (8 * (off & 3)));
}

void hpci_write32(const struct hpci_dev *d, u16 off, u32 v)
{
	if (ecam) {
		*(volatile u32 *)ecam_at(d, off & 0xffc) = v;
		return;
	}
	spin_lock(&cf8_lock);
	outl(0xcf8, cf8_addr(d, off));
	outl(0xcfc, v);
	spin_unlock(&cf8_lock);
}

/* A 16-bit write through the ports writes only those bytes (byte enables); through ECAM too. */
void hpci_write16(const struct hpci_dev *d, u16 off, u16 v)
{
	if (ecam) {
		*(volatile u16 *)ecam_at(d, off & 0xffe) = v;
		return;
	}
	spin_lock(&cf8_lock);
	outl(0xcf8, cf8_addr(d, off));
	outw((u16)(0xcfc + (off & 2)), v);
	spin_unlock(&cf8_lock);
}

u32 hpci_count(void)
{
	return ndevs;
}

struct hpci_dev *hpci_at(u32 i)
{
	return i < ndevs ? &devs[i] : NULL;
}

/* Remember bus:dev.fn if a function answers there (vendor 0xffff: nobody, 6.2.1); true if it
 * is function 0 of a multi-function device (header type bit 7). */
static bool probe(u8 bus, u8 dev, u8 fn)
{
	struct hpci_dev d = {.bus = bus, .dev = dev, .fn = fn};
	u32 id = hpci_read32(&d, HPCI_VENDOR);
	if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
		return false;
	d.vendor = (u16)id;
	d.device = (u16)(id >> 16);
	d.class = hpci_read32(&d, HPCI_CLASS) >> 8;
	bool multi = fn == 0 && (hpci_read8(&d, HPCI_HEADER) & 0x80);
	if (ndevs < HPCI_MAX) {
		devs[ndevs++] = d;
		log_debug("hpci: %02x:%02x.%x %04x:%04x class %06x", bus, dev, fn, d.vendor,
			  d.device, d.class);
	}
	return multi;
}

/* Every bus:device, and functions 1-7 of multi-function devices (6.2.1). */
static void scan(u32 first, u32 last)
{
	for (u32 bus = first; bus <= last; bus++)
		for (u8 dev = 0; dev < 32; dev++)
			if (probe((u8)bus, dev, 0))
				for (u8 fn = 1; fn < 8; fn++)
					probe((u8)bus, dev, fn);
}

void hpci_init(void)
{
	u32 first = 0, last = 255;
	if (acpi.ecam_base) {
		first = acpi.ecam_bus_start;
		last = acpi.ecam_bus_end;
		u64 len = (u64)(last - first + 1) << 20;
		mm_map_device(acpi.ecam_base, len);
		ecam = phys_to_virt(acpi.ecam_base);
	}
	scan(first, last);
	log_info("hpci: %u host PCI function%s through %s", ndevs, ndevs == 1 ? "" : "s",
		 ecam ? "ECAM (ACPI MCFG)" : "ports 0xcf8/0xcfc");
}

/* 6.2.5.1: with decoding off (so the all-ones address decodes nothing), write all ones, read
 * the mask back, restore the value. */
static u32 size_mask(const struct hpci_dev *d, u16 off, u32 val)
{
	hpci_write32(d, off, 0xffffffffu);
	u32 m = hpci_read32(d, off);
	hpci_write32(d, off, val);
	return m;
}

bool hpci_bar(const struct hpci_dev *d, u32 n, struct hpci_bar *b)
{
	if (n > 5)
		return false;
	u16 off = (u16)(HPCI_BAR0 + 4 * n), cmd = hpci_read16(d, HPCI_COMMAND);
	hpci_write16(d, HPCI_COMMAND, cmd & (u16) ~(HPCI_CMD_IO | HPCI_CMD_MEM));
	u32 lo = hpci_read32(d, off), hi = 0, mhi = 0;
	u32 mlo = size_mask(d, off, lo);
	bool wide = !(lo & 1) && ((lo >> 1) & 3) == 2 && n < 5;
	if (wide) {
		hi = hpci_read32(d, (u16)(off + 4));
		mhi = size_mask(d, (u16)(off + 4), hi);
	}
	hpci_write16(d, HPCI_COMMAND, cmd);
	*b = hpci_bar_decode(lo, hi, mlo, mhi);
	if (!b->size || !b->base)
		return false; /* not implemented, or left unassigned by the firmware */
	if (!b->io)
		mm_map_device(b->base, b->size);
	return true;
}

void hpci_enable(const struct hpci_dev *d)
{
	u16 cmd = hpci_read16(d, HPCI_COMMAND);
	hpci_write16(d, HPCI_COMMAND,
		     cmd | HPCI_CMD_IO | HPCI_CMD_MEM | HPCI_CMD_MASTER | HPCI_CMD_INTX_OFF);
}

/* 6.7: a list of {id, next} pairs from offset 0x34, each next dword aligned; at most 48 hops
 * (the 192 bytes after the header) so a looping list ends. */
u8 hpci_cap(const struct hpci_dev *d, u8 id, u8 from)
{
	if (!(hpci_read16(d, HPCI_STATUS) & HPCI_STATUS_CAPS))
		return 0;
	u8 at = from ? hpci_read8(d, (u16)(from + 1)) : hpci_read8(d, HPCI_CAPS);
	for (int hops = 0; at >= 0x40 && hops < 48; hops++) {
		at &= 0xfc;
		if (hpci_read8(d, at) == id)
			return at;
		at = hpci_read8(d, (u16)(at + 1));
	}
	return 0;
}
