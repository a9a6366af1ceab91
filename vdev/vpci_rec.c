/* The PCI bus's state record (vdev/vrecord.h): kind VREC_PCI, version 2. The host bridge's
 * registers, then one entry per function on the bus, in slot order: the configuration bytes
 * the guest may write (command, latency timer, interrupt line, BARs, MSI-X Message Control),
 * the function's INTx level, and its MSI-X vectors and pending bits. A record loads into a
 * VM with the same functions (the same definition): the payload's size follows from them.
 * Where the BARs sit on the MMIO bus is not saved: it follows from the BARs and the command
 * register, and the load maps them again. */
#include "vdev/vpci_int.h"
#include "lib/string.h"

#define VPCI_REC_VERSION 2

struct pci_rec {
	u32 addr;			/* 0x00 CONFIG_ADDRESS */
	u16 command;			/* 0x04 */
	u8 rcr;				/* 0x06 */
	u8 latency;			/* 0x07 */
	u8 chipset[256 - VPCI_CHIPSET]; /* 0x08 */
	u32 nfunc;			/* 0xc8 function entries that follow */
	u32 zero;			/* 0xcc */
};
_Static_assert(sizeof(struct pci_rec) == 208, "PCI record");

struct pci_func_rec {
	u8 slot;	    /* 0x00 device number */
	u8 latency;	    /* 0x01 */
	u8 int_line;	    /* 0x02 */
	u8 intx;	    /* 0x03 the level the device drives, 0 or 1 */
	u16 command;	    /* 0x04 */
	u16 msix_ctrl;	    /* 0x06 enable and function mask */
	u32 bar[VPCI_BARS]; /* 0x08 the BAR registers as the guest reads them */
	u64 pending;	    /* 0x20 the PBA */
};			    /* then msix_n struct msix_rec */
_Static_assert(sizeof(struct pci_func_rec) == 40, "PCI function record");

struct msix_rec {
	u64 addr; /* 0x00 */
	u32 data; /* 0x08 */
	u32 ctrl; /* 0x0c */
};
_Static_assert(sizeof(struct msix_rec) == 16, "MSI-X entry record");

/* The payload's size for p's functions. */
static u32 payload_size(const struct vpci *p)
{
	u32 n = sizeof(struct pci_rec);
	for (u32 s = 1; s < VPCI_SLOTS; s++)
		if (p->func[s])
			n += (u32)(sizeof(struct pci_func_rec) +
				   p->func[s]->msix_n * sizeof(struct msix_rec));
	return n;
}

/* One function's entry at out: its bytes. */
static u32 func_save(const struct pci_func *f, u8 *out)
{
	struct pci_func_rec r = {f->slot, f->cfg[0x0d],		 f->cfg[PCI_INT_LINE],
				 f->intx, cfg16(f, PCI_COMMAND), (u16)(msix_ctrl(f) & MSIX_CTRL_RW),
				 {0},	  f->msix_pending};
	for (u32 i = 0; i < VPCI_BARS; i++)
		r.bar[i] = cfg32(f, PCI_BAR0 + 4 * i);
	memcpy(out, &r, sizeof(r));
	for (u16 n = 0; n < f->msix_n; n++) {
		struct msix_rec e = {f->msix[n].addr, f->msix[n].data, f->msix[n].ctrl};
		memcpy(out + sizeof(r) + n * sizeof(e), &e, sizeof(e));
	}
	return (u32)(sizeof(r) + f->msix_n * sizeof(struct msix_rec));
}

u64 vpci_save(const void *dev, u64 now, void *buf, u64 len)
{
	const struct vpci *p = dev;
	u32 size = payload_size(p), nfunc = 0;
	(void)now;
	for (u32 s = 1; s < VPCI_SLOTS; s++)
		nfunc += p->func[s] != NULL;
	struct pci_rec rec = {p->addr, p->command, p->rcr, p->latency, {0}, nfunc, 0};
	memcpy(rec.chipset, p->chipset, sizeof(rec.chipset));
	u64 n = vrec_write(buf, len, VREC_PCI, VPCI_REC_VERSION, NULL, size);
	if (!n)
		return 0;
	u8 *out = (u8 *)buf + sizeof(struct vrec_header);
	memcpy(out, &rec, sizeof(rec));
	u32 at = sizeof(rec);
	for (u32 s = 1; s < VPCI_SLOTS; s++)
		if (p->func[s])
			at += func_save(p->func[s], out + at);
	return n;
}

/* A BAR register as the code leaves it: address bits only where the BAR has them, its type
 * bits as at power-on. */
static void check_bar(struct vrec_reader *r, const struct pci_func *f, u32 i, u32 bar)
{
	u32 type = f->reset_cfg[PCI_BAR0 + 4 * i] & 0xfu;
	if (f->bar[i].size)
		vrec_require(r, (bar & (u32)(f->bar[i].size - 1)) == type, "PCI BAR out of range");
	else if (i && f->bar[i - 1].is64)
		vrec_require(r, !(bar & (u32)((f->bar[i - 1].size - 1) >> 32)),
			     "PCI BAR out of range");
	else
		vrec_require(r, !bar, "PCI BAR where there is none");
}

/* One function's entry (at in, avail bytes) against the function f in the fresh VM. */
static void check_func(struct vrec_reader *r, const struct pci_func *f, const u8 *in)
{
	struct pci_func_rec fr;
	memcpy(&fr, in, sizeof(fr));
	vrec_require(r, fr.slot == f->slot, "PCI function in another slot");
	vrec_require(r, fr.intx <= 1, "PCI INTx level out of range");
	vrec_require(r, !(fr.command & ~PCI_CMD_WRITABLE), "PCI function command out of range");
	vrec_require(r, !(fr.msix_ctrl & ~(f->msix_n ? MSIX_CTRL_RW : 0)),
		     "MSI-X control out of range");
	u64 vectors = f->msix_n >= 64 ? ~0ull : BIT(f->msix_n) - 1;
	vrec_require(r, !(fr.pending & ~vectors), "MSI-X pending bits out of range");
	for (u32 i = 0; i < VPCI_BARS; i++)
		check_bar(r, f, i, fr.bar[i]);
	for (u16 n = 0; n < f->msix_n; n++) {
		struct msix_rec e;
		memcpy(&e, in + sizeof(fr) + n * sizeof(e), sizeof(e));
		vrec_require(r, !(e.addr & 3) && !(e.ctrl & ~MSIX_ENTRY_MASK),
			     "MSI-X entry out of range");
		bool masked = (e.ctrl & MSIX_ENTRY_MASK) || (fr.msix_ctrl & PCI_MSIX_FUNC_MASK) ||
			      !(fr.msix_ctrl & PCI_MSIX_ENABLE);
		vrec_require(r, masked || !(fr.pending & BIT(n)),
			     "MSI-X vector pending and unmasked");
	}
}

/* Put one checked entry into f. */
static void func_load(struct pci_func *f, const u8 *in)
{
	struct pci_func_rec fr;
	memcpy(&fr, in, sizeof(fr));
	f->cfg[0x0d] = fr.latency;
	f->cfg[PCI_INT_LINE] = fr.int_line;
	f->intx = fr.intx;
	cfg16_set(f, PCI_COMMAND, fr.command);
	if (f->msix_n)
		cfg16_set(f, f->msix_cap + 2u,
			  (u16)((msix_ctrl(f) & ~MSIX_CTRL_RW) | fr.msix_ctrl));
	for (u32 i = 0; i < VPCI_BARS; i++)
		cfg32_set(f, PCI_BAR0 + 4 * i, fr.bar[i]);
	f->msix_pending = fr.pending;
	for (u16 n = 0; n < f->msix_n; n++) {
		struct msix_rec e;
		memcpy(&e, in + sizeof(fr) + n * sizeof(e), sizeof(e));
		f->msix[n] = (struct msix_entry){e.addr, e.data, e.ctrl};
	}
}

/* Every field of the bridge and of each function's entry. */
static void check_all(struct vrec_reader *r, const struct vpci *p, const u8 *in)
{
	struct pci_rec rec;
	u32 nfunc = 0, at = sizeof(rec);
	memcpy(&rec, in, sizeof(rec));
	vrec_require(r, !(rec.addr & ~VPCI_ADDR_MASK), "PCI address out of range");
	vrec_require(r, !(rec.command & ~BRIDGE_CMD_WRITABLE), "PCI command out of range");
	vrec_require(r, !(rec.rcr & ~0x0a), "PCI reset control out of range");
	for (u32 s = 1; s < VPCI_SLOTS; s++)
		if (p->func[s]) {
			check_func(r, p->func[s], in + at);
			at += (u32)(sizeof(struct pci_func_rec) +
				    p->func[s]->msix_n * sizeof(struct msix_rec));
			nfunc++;
		}
	vrec_require(r, rec.nfunc == nfunc && !rec.zero, "PCI functions differ");
}

/* Check the header and every field first; replace the state only if all pass, then put the
 * BARs where the record says. */
const char *vpci_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len)
{
	struct vpci *p = dev;
	struct vrec_reader r;
	if (!vrec_open(&r, buf, len, VREC_PCI, VPCI_REC_VERSION, NULL, payload_size(p), now))
		return r.why;
	const u8 *in = (const u8 *)buf + sizeof(struct vrec_header);
	check_all(&r, p, in);
	if (r.why)
		return r.why;
	struct pci_rec rec;
	memcpy(&rec, in, sizeof(rec));
	vpci_unmap_all(vm, p);
	vpci_reset(p);
	p->addr = rec.addr;
	p->rcr = rec.rcr;
	p->command = rec.command;
	p->latency = rec.latency;
	memcpy(p->chipset, rec.chipset, sizeof(p->chipset));
	u32 at = sizeof(rec);
	for (u32 s = 1; s < VPCI_SLOTS; s++)
		if (p->func[s]) {
			func_load(p->func[s], in + at);
			at += (u32)(sizeof(struct pci_func_rec) +
				    p->func[s]->msix_n * sizeof(struct msix_rec));
		}
	vpci_remap(vm, p);
	return NULL;
}
