/* PCI functions' memory BARs on the VM's MMIO bus, and MSI-X (PCI Local Bus 3.0, 6.2.5.1 and
 * 6.8.2). At reset every BAR gets an address in the device window, as SeaBIOS gives them;
 * afterwards a BAR is on the bus exactly while memory decoding is on and its address is
 * usable: not over RAM, and not over another range (the APICs, another BAR), which it must not
 * take over. Such a BAR is refused, logged once, until it is moved. Accesses reach the
 * function's device with the offset inside the BAR, except the MSI-X table and pending bits,
 * which are vpci's. */
#include "vdev/vpci_int.h"
#include "vdev/vlapic.h"

/* Where BAR i of f should be on the bus now: its address, or 0 for nowhere. */
static u64 bar_want(const struct pci_func *f, u32 i)
{
	if (!f->bar[i].size || !(f->cfg[PCI_COMMAND] & PCI_CMD_MEM))
		return 0;
	return pcif_bar_addr(f, i);
}

/* [base, base+len) touches the VM's RAM (below and above the 4 GiB hole). */
static bool over_ram(const struct vm *vm, u64 base, u64 len)
{
	u64 high = vm->mem.size - vm->mem.low_end;
	return base < vm->mem.low_end ||
	       (high && base < GMEM_HIGH_BASE + high && base + len > GMEM_HIGH_BASE);
}

/* Put BAR i of f (at slot s) on the bus at addr, or refuse it with one log line. */
static void bar_map(struct vm *vm, struct vpci *p, struct pci_func *f, u32 i, u64 addr)
{
	u64 len = f->bar[i].size;
	if (addr + len > addr && !over_ram(vm, addr, len) &&
	    bus_add(&vm->mmio, addr, len, &vpci_bar_ops, p)) {
		f->bar[i].mapped = addr;
		f->bar[i].refused = false;
		return;
	}
	if (!f->bar[i].refused)
		log_warn(
			"vm %s: pci 00:%02x.0 BAR%u at %#llx (%#llx bytes) overlaps RAM or another "
			"device: not mapped until moved",
			vm->name, f->slot, i, addr, len);
	f->bar[i].refused = true;
}

/* Removals first, so two BARs may swap places. */
void vpci_remap(struct vm *vm, struct vpci *p)
{
	for (u32 s = 1; s < VPCI_SLOTS; s++)
		for (u32 i = 0; p->func[s] && i < VPCI_BARS; i++) {
			struct pci_func *f = p->func[s];
			if (f->bar[i].mapped && f->bar[i].mapped != bar_want(f, i)) {
				bus_remove(&vm->mmio, f->bar[i].mapped, &vpci_bar_ops, p);
				f->bar[i].mapped = 0;
			}
			if (!bar_want(f, i))
				f->bar[i].refused = false;
		}
	for (u32 s = 1; s < VPCI_SLOTS; s++)
		for (u32 i = 0; p->func[s] && i < VPCI_BARS; i++) {
			struct pci_func *f = p->func[s];
			u64 want = bar_want(f, i);
			if (want && !f->bar[i].mapped)
				bar_map(vm, p, f, i, want);
		}
}

void vpci_unmap_all(struct vm *vm, struct vpci *p)
{
	for (u32 s = 1; s < VPCI_SLOTS; s++)
		for (u32 i = 0; p->func[s] && i < VPCI_BARS; i++)
			if (p->func[s]->bar[i].mapped) {
				bus_remove(&vm->mmio, p->func[s]->bar[i].mapped, &vpci_bar_ops, p);
				p->func[s]->bar[i].mapped = 0;
			}
}

/* Largest BARs first, each naturally aligned, from the window's base: no space is lost to
 * alignment. A BAR that does not fit stays at 0, unmapped (logged). */
void vpci_place(struct vm *vm, struct vpci *p)
{
	u64 next = VPCI_MEM_BASE;
	for (u64 size = 1ull << 62; size >= 4096; size >>= 1)
		for (u32 s = 1; s < VPCI_SLOTS; s++)
			for (u32 i = 0; p->func[s] && i < VPCI_BARS; i++) {
				struct pci_func *f = p->func[s];
				if (f->bar[i].size != size)
					continue;
				u64 at = ALIGN_UP(next, size);
				if (at + size > VPCI_MEM_END) {
					log_warn(
						"vm %s: pci 00:%02x.0 BAR%u: no room in the window",
						vm->name, s, i);
					continue;
				}
				next = at + size;
				cfg32_set(f, PCI_BAR0 + 4 * i,
					  cfg32(f, PCI_BAR0 + 4 * i) | (u32)at);
				if (f->bar[i].is64)
					cfg32_set(f, PCI_BAR0 + 4 * (i + 1), (u32)(at >> 32));
				f->cfg[PCI_COMMAND] |= PCI_CMD_MEM;
			}
	vpci_remap(vm, p);
}

/* ---- MSI-X ---- */

bool pci_msix_enabled(const struct pci_func *f)
{
	return (msix_ctrl(f) & (PCI_MSIX_ENABLE | PCI_MSIX_FUNC_MASK)) == PCI_MSIX_ENABLE;
}

/* An MSI as the local APICs take it (SDM vol. 3 11.11.1, 11.11.2): the address names the
 * destination (bits 19:12) and its mode (bit 2), the data the vector (7:0) and delivery mode
 * (10:8). MSIs are edge-triggered: no EOI goes back to the function. */
static void msi_deliver(struct pci_func *f, u64 addr, u32 data)
{
	struct vm *vm = f->vm;
	u32 mode = (data >> 8) & 7;
	u8 vector = (u8)data;
	if ((addr >> 20) != 0xfee) {
		log_warn("vm %s: pci 00:%02x.0 MSI to %#llx, not the local APICs: dropped",
			 vm->name, f->slot, addr);
		return;
	}
	if (mode != VLAPIC_DM_NMI && vector < 16) {
		log_warn("vm %s: pci 00:%02x.0 MSI vector %u is reserved: dropped", vm->name,
			 f->slot, vector);
		return;
	}
	vlapic_route(vm, (u32)(addr >> 12) & 0xff, addr & BIT(2), mode, vector, false);
}

/* Vector n may not go out now (6.8.2.9): its mask or the function's. */
static bool msix_masked(const struct pci_func *f, u16 n)
{
	return (f->msix[n].ctrl & MSIX_ENTRY_MASK) || (msix_ctrl(f) & PCI_MSIX_FUNC_MASK);
}

void pci_msix_send(struct pci_func *f, u16 n)
{
	if (n >= f->msix_n || !(msix_ctrl(f) & PCI_MSIX_ENABLE))
		return;
	if (msix_masked(f, n)) {
		f->msix_pending |= BIT(n);
		return;
	}
	msi_deliver(f, f->msix[n].addr, f->msix[n].data);
}

void pcif_msix_flush(struct pci_func *f)
{
	if (!(msix_ctrl(f) & PCI_MSIX_ENABLE))
		return;
	for (u16 n = 0; n < f->msix_n; n++)
		if ((f->msix_pending & BIT(n)) && !msix_masked(f, n)) {
			f->msix_pending &= ~BIT(n);
			msi_deliver(f, f->msix[n].addr, f->msix[n].data);
		}
}

/* A dword of the table: entry n's address low, high, data, vector control (6.8.2.6-9). */
static u32 table_dword(const struct pci_func *f, u16 n, u32 dw)
{
	const struct msix_entry *e = &f->msix[n];
	const u32 v[4] = {(u32)e->addr, (u32)(e->addr >> 32), e->data, e->ctrl};
	return v[dw];
}

/* Write one: the address is dword-aligned (bits 1:0 read 0), vector control keeps bit 0, and
 * unmasking sends what is pending. */
static void table_dword_set(struct pci_func *f, u16 n, u32 dw, u32 val)
{
	struct msix_entry *e = &f->msix[n];
	if (dw == 0)
		e->addr = (e->addr & ~0xffffffffull) | (val & ~3u);
	else if (dw == 1)
		e->addr = (e->addr & 0xffffffffull) | (u64)val << 32;
	else if (dw == 2)
		e->data = val;
	else {
		e->ctrl = val & MSIX_ENTRY_MASK;
		pcif_msix_flush(f);
	}
}

/* off inside the table or the PBA: a dword or qword, naturally aligned (6.8.2); other accesses
 * read all-ones and write nothing. True if off is one of them. */
static bool msix_read(const struct pci_func *f, u64 off, u8 size, u64 *val)
{
	bool in_table = off - f->msix_table < 16ull * f->msix_n;
	bool in_pba = off - f->msix_pba < 8;
	if (!in_table && !in_pba)
		return false;
	*val = ~0ull;
	if ((size != 4 && size != 8) || off % size)
		return true;
	if (in_pba) {
		*val = f->msix_pending >> (8 * (off - f->msix_pba));
		return true;
	}
	u64 t = off - f->msix_table;
	u16 n = (u16)(t / 16);
	u32 dw = (u32)(t % 16) / 4;
	*val = table_dword(f, n, dw);
	if (size == 8)
		*val |= (u64)table_dword(f, n, dw + 1) << 32;
	return true;
}

/* The PBA is read-only (6.8.2.10). */
static bool msix_write(struct pci_func *f, u64 off, u8 size, u64 val)
{
	bool in_table = off - f->msix_table < 16ull * f->msix_n;
	if (!in_table)
		return off - f->msix_pba < 8;
	if ((size != 4 && size != 8) || off % size)
		return true;
	u64 t = off - f->msix_table;
	u16 n = (u16)(t / 16);
	u32 dw = (u32)(t % 16) / 4;
	table_dword_set(f, n, dw, (u32)val);
	if (size == 8)
		table_dword_set(f, n, dw + 1, (u32)(val >> 32));
	return true;
}

/* ---- BAR accesses ---- */

/* The function and BAR mapped at addr (the bus's lookup raced no move: checked again here,
 * under the device lock); NULL if none. */
static struct pci_func *bar_at(struct vpci *p, u64 addr, u32 *bar)
{
	for (u32 s = 1; s < VPCI_SLOTS; s++)
		for (u32 i = 0; p->func[s] && i < VPCI_BARS; i++) {
			const struct pci_bar *b = &p->func[s]->bar[i];
			if (b->mapped && addr - b->mapped < b->size) {
				*bar = i;
				return p->func[s];
			}
		}
	return NULL;
}

/* A read inside a BAR: the MSI-X structures, or the device. */
static u64 bar_read(struct vcpu *v, void *dev, u64 addr, u8 size)
{
	u32 i;
	u64 val;
	struct pci_func *f = bar_at(dev, addr, &i);
	(void)v;
	if (!f)
		return ~0ull;
	u64 off = addr - f->bar[i].mapped;
	if (f->msix_n && i == f->msix_bar && msix_read(f, off, size, &val))
		return val;
	return f->ops->bar_read(f, i, off, size);
}

/* A write inside a BAR: the MSI-X structures, or the device. */
static void bar_write(struct vcpu *v, void *dev, u64 addr, u8 size, u64 val)
{
	u32 i;
	struct pci_func *f = bar_at(dev, addr, &i);
	(void)v;
	if (!f)
		return;
	u64 off = addr - f->bar[i].mapped;
	if (f->msix_n && i == f->msix_bar && msix_write(f, off, size, val))
		return;
	f->ops->bar_write(f, i, off, size, val);
}

/* The BARs' ranges on the MMIO bus (dev: the VM's struct vpci); not a device of the platform's
 * table: vpci_ops attaches, resets and saves them. */
const struct vdev_ops vpci_bar_ops = {
	.name = "pci-bar",
	.read = bar_read,
	.write = bar_write,
};
