/* PCI configuration mechanism 1 (PCI Local Bus spec 3.0, 3.2.2.3.2) over bus 0: the i440FX
 * host bridge (Intel 82441FX data sheet, order 290549) at 00:00.0 and the functions devices
 * add (vpci_add) at 00:01.0-00:1f.0. The bridge's header registers read back as the data
 * sheet gives them, its command register and latency timer keep what is written, and its
 * chipset registers 0x40-0xff act as plain storage; a function's configuration space is
 * vpci_func.c's. Any other bus, device or function reads all-ones (master abort), and writes
 * go nowhere. Port 0xcf9 is the PIIX reset control register: setting bit 2 resets the VM. */
#include "vdev/vpci_int.h"
#include "lib/string.h"

#define ADDR_ENABLE 0x80000000u
#define RCR_RESET   0x04 /* a write with RST_CPU set resets the system */

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
		p->command = (u16)((p->command & 0xff00) | (val & BRIDGE_CMD_WRITABLE));
	else if (off == 0x05)
		p->command = (u16)((p->command & 0x00ff) | ((val << 8) & BRIDGE_CMD_WRITABLE));
	else if (off == 0x0d)
		p->latency = val;
}

/* The selected function is the host bridge: enabled, bus 0, device 0, function 0. */
static bool bridge_selected(const struct vpci *p)
{
	return (p->addr & (ADDR_ENABLE | 0x00ffff00u)) == ADDR_ENABLE;
}

/* The function the address selects on bus 0, function 0 of a device other than the bridge
 * (each is single-function: header type 0x00); NULL if there is none. */
static struct pci_func *func_selected(const struct vpci *p)
{
	if ((p->addr & (ADDR_ENABLE | 0x00ff0700u)) != ADDR_ENABLE)
		return NULL;
	return p->func[(p->addr >> 11) & 0x1f]; /* slot 0 is never set */
}

/* The bytes of an access at port (0xcfc-0xcff) that fall inside CONFIG_DATA. */
static u8 lanes(u64 port, u8 size)
{
	u64 room = 0xd00 - port;
	return size < room ? size : (u8)room;
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
	struct pci_func *f = func_selected(p);
	if (f && port >= 0xcfc) { /* the lanes inside CONFIG_DATA, all-ones past its end */
		u8 n = lanes(port, size);
		u64 val = pcif_cfg_read(f, (p->addr & 0xfc) + (u32)(port - 0xcfc), n);
		if (n < size)
			val |= ~0ull << (8 * n);
		return val;
	}
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
		p->addr = (u32)val & VPCI_ADDR_MASK;
		return;
	}
	if (port == 0xcf9 && size == 1) {
		p->rcr = (u8)val & 0x0a;
		if (val & RCR_RESET)
			vm_request_reset(v->vm);
		return;
	}
	struct pci_func *f = func_selected(p);
	if (f && port >= 0xcfc) {
		u8 n = lanes(port, size);
		pcif_cfg_write(f, (p->addr & 0xfc) + (u32)(port - 0xcfc), n, (u32)val);
		return;
	}
	if (port < 0xcfc || !bridge_selected(p))
		return; /* other widths at 0xcf8-0xcfb (the mechanism 2 probe) do nothing */
	for (u8 i = 0; i < size && port - 0xcfc + i < 4; i++)
		bridge_write(p, (u8)((p->addr & 0xfc) + port - 0xcfc + i), (u8)(val >> (8 * i)));
}

/* CONFIG_ADDRESS 0; the bridge decodes memory and masters, as a BIOS leaves it. The
 * functions stay on the bus, their configuration space at power-on. */
void vpci_reset(struct vpci *p)
{
	struct pci_func *func[VPCI_SLOTS];
	memcpy(func, p->func, sizeof(func));
	*p = (struct vpci){.command = 0x0006};
	memcpy(p->func, func, sizeof(func));
	for (u32 s = 1; s < VPCI_SLOTS; s++)
		if (p->func[s])
			pcif_reset(p->func[s]);
}

/* The next free device number; its configuration space as it is now is its power-on state. */
bool vpci_add(struct vm *vm, struct pci_func *f)
{
	struct vpci *p = vpci_of(vm);
	for (u32 s = 1; s < VPCI_SLOTS; s++)
		if (!p->func[s]) {
			f->vm = vm;
			f->slot = (u8)s;
			memcpy(f->reset_cfg, f->cfg, sizeof(f->cfg));
			p->func[s] = f;
			return true;
		}
	log_err("vm %s: no free device number on PCI bus 0", vm->name);
	return false;
}

/* Its ports on the buses. */
static bool vpci_attach(struct vm *vm, void *dev)
{
	return bus_add(&vm->io, 0xcf8, 8 /* with 0xcf9 reset control */, &vpci_ops, dev);
}

/* Power-on state: the BARs off the bus, then placed again as a BIOS places them. */
static void vpci_reset_op(struct vm *vm, void *dev)
{
	vpci_unmap_all(vm, dev);
	vpci_reset(dev);
	vpci_place(vm, dev);
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
