/* PCI configuration mechanism 1 (PCI Local Bus spec 3.0, 3.2.2.3.2) over a bus that holds one
 * device, the i440FX host bridge (Intel 82441FX data sheet, order 290549) at 00:00.0. Its
 * header registers read back as the data sheet gives them, the command register and latency
 * timer keep what is written, and the chipset registers 0x40-0xff act as plain storage. Any
 * other bus, device or function reads all-ones (master abort), and writes go nowhere.
 * Port 0xcf9 is the PIIX reset control register: setting bit 2 resets the VM. */
#include "vdev/vpci.h"
#include "vdev/vdev.h"
#include "lib/string.h"

#define ADDR_ENABLE  0x80000000u
#define ADDR_MASK    0x80fffffcu /* bits 30:24 and 1:0 are reserved, read as 0 */
#define CMD_WRITABLE 0x0147	 /* I/O, memory, bus master, parity and SERR enables */
#define RCR_RESET    0x04	 /* a write with RST_CPU set resets the system */

/* The host bridge's fixed header bytes (type 0, PCI 3.0 6.1); 0 where not listed. */
static const u8 bridge_header[0x40] = {
	[0x00] = 0x86, [0x01] = 0x80, /* vendor: Intel */
	[0x02] = 0x37, [0x03] = 0x12, /* device: 82441FX (i440FX) */
	[0x06] = 0x80, [0x07] = 0x02, /* status: fast back-to-back, medium DEVSEL */
	[0x08] = 0x02,		      /* revision */
	[0x0b] = 0x06,		      /* class 06 00 00: host bridge */
};

/* One byte of the host bridge's configuration space. */
static u8 bridge_read(const struct vpci *p, u8 off)
{
	if (off >= VPCI_CHIPSET)
		return p->chipset[off - VPCI_CHIPSET];
	if (off == 0x04 || off == 0x05)
		return (u8)(p->command >> (off == 0x05 ? 8 : 0));
	if (off == 0x0d)
		return p->latency;
	return bridge_header[off];
}

/* Writes to read-only header registers are dropped. */
static void bridge_write(struct vpci *p, u8 off, u8 val)
{
	if (off >= VPCI_CHIPSET)
		p->chipset[off - VPCI_CHIPSET] = val;
	else if (off == 0x04)
		p->command = (u16)((p->command & 0xff00) | (val & CMD_WRITABLE));
	else if (off == 0x05)
		p->command = (u16)((p->command & 0x00ff) | ((val << 8) & CMD_WRITABLE));
	else if (off == 0x0d)
		p->latency = val;
}

/* The selected function is the host bridge: enabled, bus 0, device 0, function 0. */
static bool bridge_selected(const struct vpci *p)
{
	return (p->addr & (ADDR_ENABLE | 0x00ffff00u)) == ADDR_ENABLE;
}

/* CONFIG_ADDRESS (dword), the reset control byte, or CONFIG_DATA by byte lane. */
static u64 vpci_read(struct vcpu *v, void *dev, u64 port, u8 size)
{
	struct vpci *p = dev;
	(void)v;
	if (port == 0xcf8 && size == 4)
		return p->addr;
	if (port == 0xcf9 && size == 1)
		return p->rcr;
	u64 val = 0;
	for (u8 i = 0; i < size; i++) {
		u64 lane = port - 0xcfc + i; /* byte lane of CONFIG_DATA */
		bool ok = port >= 0xcfc && lane < 4 && bridge_selected(p);
		u8 b = ok ? bridge_read(p, (u8)((p->addr & 0xfc) + lane)) : 0xff;
		val |= (u64)b << (8 * i);
	}
	return val;
}

/* CONFIG_ADDRESS (dword), the reset control byte, or CONFIG_DATA by byte lane. */
static void vpci_write(struct vcpu *v, void *dev, u64 port, u8 size, u64 val)
{
	struct vpci *p = dev;
	if (port == 0xcf8 && size == 4) {
		p->addr = (u32)val & ADDR_MASK;
		return;
	}
	if (port == 0xcf9 && size == 1) {
		p->rcr = (u8)val & 0x0a;
		if (val & RCR_RESET)
			vm_request_reset(v->vm);
		return;
	}
	if (port < 0xcfc || !bridge_selected(p))
		return; /* other widths at 0xcf8-0xcfb (the mechanism 2 probe) do nothing */
	for (u8 i = 0; i < size && port - 0xcfc + i < 4; i++)
		bridge_write(p, (u8)((p->addr & 0xfc) + port - 0xcfc + i), (u8)(val >> (8 * i)));
}

/* CONFIG_ADDRESS 0; the bridge decodes memory and masters, as a BIOS leaves it. */
void vpci_reset(struct vpci *p)
{
	*p = (struct vpci){.command = 0x0006};
}

/* ---- state records (vdev/vrecord.h): kind VREC_PCI, version 1 ---- */

struct pci_rec {
	u32 addr;			/* 0x00 CONFIG_ADDRESS */
	u16 command;			/* 0x04 */
	u8 rcr;				/* 0x06 */
	u8 latency;			/* 0x07 */
	u8 chipset[256 - VPCI_CHIPSET]; /* 0x08 */
};
_Static_assert(sizeof(struct pci_rec) == 200, "PCI record");

/* Fill the payload above from the device and write it out behind its header. */
u64 vpci_save(const void *dev, u64 now, void *buf, u64 len)
{
	const struct vpci *p = dev;
	struct pci_rec rec = {p->addr, p->command, p->rcr, p->latency, {0}};
	(void)now;
	memcpy(rec.chipset, p->chipset, sizeof(rec.chipset));
	return vrec_write(buf, len, VREC_PCI, 1, &rec, sizeof(rec));
}

/* Check the header and every field first; replace the device only if all pass. */
const char *vpci_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len)
{
	struct pci_rec rec;
	struct vrec_reader r;
	(void)vm;
	if (!vrec_open(&r, buf, len, VREC_PCI, 1, &rec, sizeof(rec), now))
		return r.why;
	vrec_require(&r, !(rec.addr & ~ADDR_MASK), "PCI address out of range");
	vrec_require(&r, !(rec.command & ~CMD_WRITABLE), "PCI command out of range");
	vrec_require(&r, !(rec.rcr & ~0x0a), "PCI reset control out of range");
	if (r.why)
		return r.why;
	struct vpci *p = dev;
	*p = (struct vpci){
		.addr = rec.addr, .rcr = rec.rcr, .command = rec.command, .latency = rec.latency};
	memcpy(p->chipset, rec.chipset, sizeof(p->chipset));
	return NULL;
}

/* Its ports on the buses. */
static bool vpci_attach(struct vm *vm, void *dev)
{
	return bus_add(&vm->io, 0xcf8, 8 /* with 0xcf9 reset control */, &vpci_ops, dev);
}

/* Power-on state. */
static void vpci_reset_op(struct vm *vm, void *dev)
{
	(void)vm;
	vpci_reset(dev);
}

const struct vdev_ops vpci_ops = {
	.name = "pci",
	.size = sizeof(struct vpci),
	.read = vpci_read,
	.write = vpci_write,
	.attach = vpci_attach,
	.reset = vpci_reset_op,
	.save = vpci_save,
	.load = vpci_load,
};
