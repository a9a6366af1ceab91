/* A PCI function's configuration space (PCI Local Bus 3.0, 6.1-6.2, 6.7, 6.8.2): built by its
 * device with the pci_func_* calls, then read and written by the guest through mechanism 1
 * (vpci.c). The guest may write the command register, the latency timer, the interrupt line,
 * the BARs (sized by writing all-ones, 6.2.5.1) and the MSI-X Message Control's enable and
 * function mask; every other byte is read-only. Its INTx line goes to the I/O APIC pin the
 * DSDT's _PRT names for its slot. */
#include "vdev/vpci_int.h"
#include "lib/string.h"

void pci_func_init(struct pci_func *f, const struct pci_func_ops *ops, void *owner, u16 vendor,
		   u16 device, u32 class_code, u8 revision, u16 subvendor, u16 subsystem)
{
	memset(f, 0, sizeof(*f));
	f->ops = ops;
	f->owner = owner;
	cfg16_set(f, 0x00, vendor);
	cfg16_set(f, 0x02, device);
	f->cfg[0x08] = revision;
	f->cfg[0x09] = (u8)class_code;	       /* programming interface */
	f->cfg[0x0a] = (u8)(class_code >> 8);  /* subclass */
	f->cfg[0x0b] = (u8)(class_code >> 16); /* class */
	cfg16_set(f, 0x2c, subvendor);
	cfg16_set(f, 0x2e, subsystem);
	f->cfg[PCI_INT_PIN] = 1; /* INTA# */
	f->irq_pin = 1;
	f->cap_end = 0x40; /* capabilities follow the type 0 header (6.7) */
}

/* A BAR slot is free: no BAR there, and not the upper half of a 64-bit one. */
static bool bar_free(const struct pci_func *f, u32 i)
{
	return i < VPCI_BARS && !f->bar[i].size && !(i && f->bar[i - 1].is64);
}

/* Memory BARs only: keel's devices have no I/O ports. A 64-bit BAR is marked prefetchable
 * (reads have no side effects), unless it later holds an MSI-X table (pci_func_msix). */
bool pci_func_bar(struct pci_func *f, u32 bar, u64 size, bool is64)
{
	if (!bar_free(f, bar) || (is64 && !bar_free(f, bar + 1)))
		return false;
	if (size < 4096 || (size & (size - 1)) || (!is64 && size > 2 * GiB))
		return false;
	f->bar[bar] = (struct pci_bar){.size = size, .is64 = is64};
	cfg32_set(f, PCI_BAR0 + 4 * bar, is64 ? PCI_BAR_64 | PCI_BAR_PREFETCH : 0);
	return true;
}

/* The last capability in f's list, 0 if none. */
static u8 last_cap(const struct pci_func *f)
{
	u8 at = f->cfg[PCI_CAP_PTR];
	while (at && f->cfg[at + 1])
		at = f->cfg[at + 1];
	return at;
}

/* Capabilities are dword-aligned (6.7) and linked in the order they are added. */
u8 pci_func_cap(struct pci_func *f, u8 id, const void *body, u8 len)
{
	u32 at = ALIGN_UP((u32)f->cap_end, 4);
	if (at + 2u + len > 256)
		return 0;
	u8 prev = last_cap(f);
	f->cfg[at] = id;
	f->cfg[at + 1] = 0;
	memcpy(&f->cfg[at + 2], body, len);
	if (prev)
		f->cfg[prev + 1] = (u8)at;
	else
		f->cfg[PCI_CAP_PTR] = (u8)at;
	cfg16_set(f, PCI_STATUS, cfg16(f, PCI_STATUS) | PCI_STATUS_CAPS);
	f->cap_end = (u8)MIN(at + 2u + len, 255u);
	return (u8)at;
}

/* The MSI-X capability (6.8.2): Message Control with the table size N-1, then the table's
 * and the PBA's offsets with their BAR indicator in bits 2:0. */
bool pci_func_msix(struct pci_func *f, u16 n, u32 bar, u32 table_off, u32 pba_off)
{
	if (!n || n > VPCI_MSIX_MAX || f->msix_n || bar >= VPCI_BARS || !f->bar[bar].size)
		return false;
	u64 size = f->bar[bar].size;
	if ((table_off | pba_off) & 7 || table_off + 16ull * n > size || pba_off + 8ull > size ||
	    (pba_off < table_off + 16ull * n && table_off < pba_off + 8ull))
		return false;
	u8 body[10];
	u16 ctrl = (u16)(n - 1);
	u32 t = table_off | bar, p = pba_off | bar;
	memcpy(body, &ctrl, 2);
	memcpy(body + 2, &t, 4);
	memcpy(body + 6, &p, 4);
	u8 at = pci_func_cap(f, PCI_CAP_MSIX, body, sizeof(body));
	if (!at)
		return false;
	f->msix_cap = at;
	f->msix_bar = (u8)bar;
	f->msix_n = n;
	f->msix_table = table_off;
	f->msix_pba = pba_off;
	f->cfg[PCI_BAR0 + 4 * bar] &= (u8)~PCI_BAR_PREFETCH; /* the table has side effects */
	for (u16 i = 0; i < n; i++)
		f->msix[i].ctrl = MSIX_ENTRY_MASK; /* masked at reset (6.8.2.9) */
	return true;
}

/* The address a BAR decodes, its type bits cleared. */
u64 pcif_bar_addr(const struct pci_func *f, u32 i)
{
	u64 lo = cfg32(f, PCI_BAR0 + 4 * i) & ~0xfull;
	return f->bar[i].is64 ? lo | (u64)cfg32(f, PCI_BAR0 + 4 * (i + 1)) << 32 : lo;
}

/* An access at off is to a capability the device added and answers itself (vpci.h: cfg_read,
 * cfg_write): past the header and outside the MSI-X capability, which is vpci's. */
static bool device_cap(const struct pci_func *f, u32 off)
{
	return off >= 0x40 && !(f->msix_n && off >= f->msix_cap && off < f->msix_cap + 12u);
}

/* Status bit 3 follows the function's INTx level, whatever the command register says (6.2.3). */
u32 pcif_cfg_read(struct pci_func *f, u32 off, u8 size)
{
	u32 val = 0;
	if (f->ops && f->ops->cfg_read && device_cap(f, off))
		return f->ops->cfg_read(f, off, size);
	for (u8 i = 0; i < size; i++) {
		u32 at = off + i;
		u8 b = f->cfg[at];
		if (at == PCI_STATUS && f->intx)
			b |= PCI_STATUS_INTX;
		val |= (u32)b << (8 * i);
	}
	return val;
}

/* The bits of a BAR dword the guest may write: the address bits above the size (6.2.5.1), all
 * of an upper half for a BAR under 4 GiB; -1 for BAR i with no BAR there. */
static s64 bar_writable(const struct pci_func *f, u32 i)
{
	if (f->bar[i].size)
		return (s64)(u32)(~(f->bar[i].size - 1) & ~0xfull);
	if (i && f->bar[i - 1].is64)
		return (s64)(u32)(~(f->bar[i - 1].size - 1) >> 32);
	return -1;
}

/* A BAR dword written (with bytes in mask): new address bits, type bits kept, then the bus. */
static void bar_write(struct pci_func *f, u32 reg, u32 val, u32 mask)
{
	u32 i = (reg - PCI_BAR0) / 4;
	s64 w = bar_writable(f, i);
	if (w < 0)
		return;
	u32 cur = cfg32(f, reg), keep = ~(u32)w | ~mask;
	cfg32_set(f, reg, (cur & keep) | (val & (u32)w & mask));
	vpci_remap(f->vm, vpci_of(f->vm));
}

/* The command register changed (with bytes in mask): decoding and INTx may follow. */
static void command_write(struct pci_func *f, u32 val, u32 mask)
{
	u16 w = (u16)(PCI_CMD_WRITABLE & mask), cur = cfg16(f, PCI_COMMAND);
	cfg16_set(f, PCI_COMMAND, (u16)((cur & ~w) | (val & w)));
	if ((cur ^ cfg16(f, PCI_COMMAND)) & PCI_CMD_MEM)
		vpci_remap(f->vm, vpci_of(f->vm));
	pcif_intx_update(f);
}

/* Message Control's enable and function mask (6.8.2.3): pending vectors may go out, and INTx
 * stops while MSI-X is on. */
static void msix_ctrl_write(struct pci_func *f, u32 val, u32 mask)
{
	u16 w = (u16)(MSIX_CTRL_RW & (mask >> 16)), cur = msix_ctrl(f);
	cfg16_set(f, f->msix_cap + 2u, (u16)((cur & ~w) | ((val >> 16) & w)));
	pcif_msix_flush(f);
	pcif_intx_update(f);
}

/* One dword register, the bytes in mask written with val (already shifted into place). */
static void reg_write(struct pci_func *f, u32 reg, u32 val, u32 mask)
{
	if (reg == PCI_COMMAND)
		command_write(f, val, mask);
	else if (reg == 0x0c && (mask & 0xff00))
		f->cfg[0x0d] = (u8)(val >> 8); /* latency timer */
	else if (reg >= PCI_BAR0 && reg < PCI_BAR0 + 4 * VPCI_BARS)
		bar_write(f, reg, val, mask);
	else if (reg == PCI_INT_LINE && (mask & 0xff))
		f->cfg[PCI_INT_LINE] = (u8)val;
	else if (f->msix_n && reg == f->msix_cap && (mask & 0xffff0000u))
		msix_ctrl_write(f, val, mask);
}

void pcif_cfg_write(struct pci_func *f, u32 off, u8 size, u32 val)
{
	u32 shift = 8 * (off & 3);
	u32 mask = (size == 4 ? ~0u : (1u << (8 * size)) - 1) << shift;
	if (device_cap(f, off)) {
		if (f->ops && f->ops->cfg_write)
			f->ops->cfg_write(f, off, size, val);
		return;
	}
	reg_write(f, off & 0xfc, val << shift, mask);
}

void pcif_reset(struct pci_func *f)
{
	memcpy(f->cfg, f->reset_cfg, sizeof(f->cfg));
	for (u16 i = 0; i < f->msix_n; i++)
		f->msix[i] = (struct msix_entry){.ctrl = MSIX_ENTRY_MASK};
	f->msix_pending = 0;
	f->intx = false;
	for (u32 i = 0; i < VPCI_BARS; i++)
		f->bar[i].refused = false;
}

/* The line a function drives: its level, unless INTx is disabled or MSI-X is on (6.8.2). */
static bool intx_out(const struct pci_func *f)
{
	return f->intx && !(cfg16(f, PCI_COMMAND) & PCI_CMD_INTX_OFF) &&
	       !(msix_ctrl(f) & PCI_MSIX_ENABLE);
}

/* Functions share a GSI (the _PRT rotates 8 pins over 31 slots): the line is their OR, as
 * PCI's open-drain INTx wires are. */
void pcif_intx_update(struct pci_func *f)
{
	struct vpci *p = vpci_of(f->vm);
	u32 gsi = vpci_slot_gsi(f->slot);
	bool level = false;
	for (u32 s = 1; s < VPCI_SLOTS; s++)
		if (p->func[s] && vpci_slot_gsi(s) == gsi && intx_out(p->func[s]))
			level = true;
	vm_irq_set(f->vm, gsi, level);
}

void pci_intx(struct pci_func *f, bool level)
{
	if (f->intx == level)
		return;
	f->intx = level;
	pcif_intx_update(f);
}

/* Slot s's INTA# goes to GSI 16 + s mod 8, INTB# to the next, and so on (vacpi.c's _PRT). */
u32 vpci_slot_gsi(u32 slot)
{
	return 16 + slot % 8;
}
