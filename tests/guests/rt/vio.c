/* Virtio over PCI for the test guests (rt/vio.h). */
#include "rt/vio.h"

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc

static void select(u8 slot, u8 off)
{
	outl(PCI_ADDR, 0x80000000u | (u32)slot << 11 | (off & 0xfc));
}

u32 pci_cfg32(u8 slot, u8 off)
{
	select(slot, off);
	return inl(PCI_DATA);
}

u8 pci_cfg8(u8 slot, u8 off)
{
	return (u8)(pci_cfg32(slot, off) >> (8 * (off & 3)));
}

void pci_cfg_w16(u8 slot, u8 off, u16 v)
{
	select(slot, off);
	outw((u16)(PCI_DATA + (off & 2)), v);
}

u64 pci_bar(u8 slot, u8 bar)
{
	u32 lo = pci_cfg32(slot, (u8)(0x10 + 4 * bar));
	u64 base = lo & ~0xfu;
	if ((lo & 6) == 4)
		base |= (u64)pci_cfg32(slot, (u8)(0x14 + 4 * bar)) << 32;
	return base;
}

/* The first of each kind (4.1.4: the driver uses the first it can); at most 48 capabilities,
 * so a list that loops is a device's lie, not a reason to hang. */
bool vio_find(u8 slot, struct vio_caps *c)
{
	*c = (struct vio_caps){0};
	for (u8 p = pci_cfg8(slot, 0x34) & 0xfc, n = 0; p && n < 48;
	     p = pci_cfg8(slot, p + 1) & 0xfc, n++) {
		if (pci_cfg8(slot, p) != 0x09) /* vendor-specific */
			continue;
		u8 type = pci_cfg8(slot, p + 3);
		uintptr_t at =
			(uintptr_t)(pci_bar(slot, pci_cfg8(slot, p + 4)) + pci_cfg32(slot, p + 8));
		if (type == 1 && !c->common)
			c->common = at;
		else if (type == 2 && !c->notify) {
			c->notify = at;
			c->notify_mult = pci_cfg32(slot, p + 16);
		} else if (type == 4 && !c->device)
			c->device = at;
	}
	return c->common && c->notify;
}
