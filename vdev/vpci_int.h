/* The PCI bus's own header, shared by its files: configuration mechanism 1 and the host
 * bridge (vpci.c), a function's configuration space (vpci_func.c), its BARs and MSI-X
 * (vpci_bar.c), and the state record (vpci_rec.c). No other file includes it. */
#ifndef KEEL_VPCI_INT_H
#define KEEL_VPCI_INT_H

#include "vdev/vdev.h"
#include "vdev/vpci.h"

#define VPCI_ADDR_MASK	    0x80fffffcu /* CONFIG_ADDRESS: 30:24 and 1:0 are reserved, read 0 */
#define BRIDGE_CMD_WRITABLE 0x0147	/* host bridge: I/O, memory, master, parity, SERR enables */
#define PCI_CMD_WRITABLE    0x0546 /* memory, master, parity, SERR, INTx disable (no I/O BARs) */
#define PCI_BAR_64	    0x4	   /* BAR type bits 2:1 = 10b: 64-bit (6.2.5.1) */
#define PCI_BAR_PREFETCH    0x8
#define MSIX_CTRL_RW	    (PCI_MSIX_ENABLE | PCI_MSIX_FUNC_MASK)
#define MSIX_ENTRY_MASK	    1u /* vector control bit 0 (6.8.2.9) */

/* The BARs' ranges on the MMIO bus (vpci_bar.c), dev: the VM's struct vpci. */
extern const struct vdev_ops vpci_bar_ops;

/* The VM's PCI bus. */
static inline struct vpci *vpci_of(const struct vm *vm)
{
	return vm_device(vm, &vpci_ops);
}

/* Little-endian fields of configuration space. */
static inline u16 cfg16(const struct pci_func *f, u32 off)
{
	return (u16)(f->cfg[off] | f->cfg[off + 1] << 8);
}
static inline u32 cfg32(const struct pci_func *f, u32 off)
{
	return (u32)cfg16(f, off) | (u32)cfg16(f, off + 2) << 16;
}
static inline void cfg16_set(struct pci_func *f, u32 off, u16 v)
{
	f->cfg[off] = (u8)v;
	f->cfg[off + 1] = (u8)(v >> 8);
}
static inline void cfg32_set(struct pci_func *f, u32 off, u32 v)
{
	cfg16_set(f, off, (u16)v);
	cfg16_set(f, off + 2, (u16)(v >> 16));
}

/* The MSI-X Message Control word (0 without MSI-X). */
static inline u16 msix_ctrl(const struct pci_func *f)
{
	return f->msix_n ? cfg16(f, f->msix_cap + 2u) : 0;
}

/* Read size bytes (1-4, inside one dword) of f's configuration space at off. */
u32 pcif_cfg_read(struct pci_func *f, u32 off, u8 size);
/* Write them: the writable bits only, with what follows (BAR moves, interrupts). */
void pcif_cfg_write(struct pci_func *f, u32 off, u8 size, u32 val);
/* f's configuration space, MSI-X vectors and INTx back to power-on (no bus change). */
void pcif_reset(struct pci_func *f);
/* The address BAR i holds (a 64-bit one's two halves together). */
u64 pcif_bar_addr(const struct pci_func *f, u32 i);
/* Send what is pending and no longer masked (after a mask or Message Control changed). */
void pcif_msix_flush(struct pci_func *f);
/* Drive the GSI of f's slot to the OR of every function routed to it. */
void pcif_intx_update(struct pci_func *f);

/* Put every BAR that should be on the MMIO bus there, and take off every one that should not
 * (memory decoding off, moved, or placed where it may not be). */
void vpci_remap(struct vm *vm, struct vpci *p);
/* Take every BAR off the MMIO bus. */
void vpci_unmap_all(struct vm *vm, struct vpci *p);
/* Give every BAR an address in the device window and turn memory decoding on, as a BIOS
 * does, then map them. */
void vpci_place(struct vm *vm, struct vpci *p);

#endif
