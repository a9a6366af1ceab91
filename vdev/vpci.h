/* PCI configuration space through mechanism 1 (CONFIG_ADDRESS at 0xcf8, CONFIG_DATA at
 * 0xcfc-0xcff), with one device: an i440FX host bridge at 00:00.0. The reset control
 * register at 0xcf9 (a byte inside CONFIG_ADDRESS's dword) lives here too. */
#ifndef KEEL_VPCI_H
#define KEEL_VPCI_H

#include "lib/types.h"

struct vdev_ops;
struct pci_func;

#define VPCI_CHIPSET 0x40 /* host bridge registers from here to 0xff are the chipset's */
#define VPCI_SLOTS   32	  /* device numbers on bus 0; 0 is the host bridge */

struct vpci {
	u32 addr;    /* CONFIG_ADDRESS: enable, bus, device, function, register */
	u8 rcr;	     /* 0xcf9 reset control: bits 1 (system reset) and 3 (full reset) */
	u16 command; /* host bridge command register */
	u8 latency;  /* host bridge latency timer */
	u8 chipset[256 - VPCI_CHIPSET]; /* 0x40-0xff: PAM, DRB, SMRAM...: kept as written */
	/* The functions on bus 0 by device number (slot 0 is the bridge above, never here): set
	 * by vpci_add at attach, kept across resets; each lives in its device's state. */
	struct pci_func *func[VPCI_SLOTS];
};

/* Power-on state: CONFIG_ADDRESS 0, the bridge decoding memory and mastering. */
void vpci_reset(struct vpci *p);

struct vm;
/* Save the PCI host bridge (dev: its struct vpci) at guest-clock time now as a record in buf (len
 * bytes, VREC_MAX fits): the bytes written, 0 if it does not fit. Device lock held. */
u64 vpci_save(const void *dev, u64 now, void *buf, u64 len);
/* Rebuild dev, a fresh VM's PCI host bridge, from vpci_save's record: the address
 * register, reset control and the bridge's writable registers. NULL, or why the
 * record is refused (dev unchanged). Device lock held. */
const char *vpci_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

/* The device (bus accesses, attach, reset, save, load), in the platform's table. */
extern const struct vdev_ops vpci_ops;

/* ---- functions behind the host bridge (issue 14) ----
 *
 * A device that sits on the guest's PCI bus embeds a struct pci_func, builds its configuration
 * space with the pci_func_* calls when it attaches, and hands it to vpci_add, which gives it
 * the next free device number on bus 0 (function 0). vpci then answers every configuration
 * access to it: the header (read-only except the command register, the latency timer, the
 * interrupt line and the BARs), its capability list, and the MSI-X capability's control word.
 * At a VM's reset vpci places every BAR in the device window (VPCI_MEM_BASE..VPCI_MEM_END) as a
 * BIOS would, with memory decoding on; when the guest moves a BAR or turns decoding off, vpci
 * moves or removes the BAR's range on the VM's MMIO bus. Accesses to a BAR reach the device's
 * bar_read/bar_write with the offset inside the BAR; an MSI-X table and PBA inside a BAR are
 * vpci's, never the device's. Everything here runs with the VM's device lock held. */

#define VPCI_BARS     6
#define VPCI_MEM_BASE 0xc0000000ull /* the window BARs are placed in (and the DSDT's _CRS) */
#define VPCI_MEM_END  0xfec00000ull /* exclusive: the I/O APIC and local APIC follow */
#define VPCI_MSIX_MAX 64	    /* vectors per function */

/* Configuration space offsets and bits (PCI 3.0 6.1, 6.2). */
#define PCI_COMMAND	   0x04
#define PCI_STATUS	   0x06
#define PCI_CMD_MEM	   BIT(1)  /* memory space decoding */
#define PCI_CMD_MASTER	   BIT(2)  /* bus master (DMA, MSI) */
#define PCI_CMD_INTX_OFF   BIT(10) /* INTx emulation disable */
#define PCI_STATUS_INTX	   BIT(3)  /* the function's INTx is asserted */
#define PCI_STATUS_CAPS	   BIT(4)  /* a capability list at 0x34 */
#define PCI_BAR0	   0x10
#define PCI_CAP_PTR	   0x34
#define PCI_INT_LINE	   0x3c
#define PCI_INT_PIN	   0x3d
#define PCI_CAP_MSIX	   0x11
#define PCI_MSIX_ENABLE	   BIT(15) /* in Message Control */
#define PCI_MSIX_FUNC_MASK BIT(14)

/* What vpci calls on a function's device: a BAR access (bar: 0-5, the BAR's first slot for a
 * 64-bit one; off: from the BAR's base). The device resets its own state through its own
 * vdev_ops; vpci resets the configuration space, BARs and MSI-X. */
struct pci_func_ops {
	u64 (*bar_read)(struct pci_func *f, u32 bar, u64 off, u8 size);
	void (*bar_write)(struct pci_func *f, u32 bar, u64 off, u8 size, u64 val);
	/* Optional (NULL: reads come from cfg, writes are dropped): an access of size bytes at off
	 * that lies inside a capability the device added with pci_func_cap, for a capability with
	 * writable fields (virtio's PCI_CFG window, virtio 1.2 4.1.4.9). The device keeps cfg
	 * up to date; the read's value is what the guest gets. */
	u32 (*cfg_read)(struct pci_func *f, u32 off, u8 size);
	void (*cfg_write)(struct pci_func *f, u32 off, u8 size, u32 val);
};

struct msix_entry {
	u64 addr;
	u32 data;
	u32 ctrl; /* bit 0: masked */
};

struct pci_func {
	const struct pci_func_ops *ops;
	void *owner;	   /* the device's state, for its ops */
	struct vm *vm;	   /* set by vpci_add */
	u8 slot;	   /* device number on bus 0, set by vpci_add */
	u8 cap_end;	   /* next free byte for a capability (pci_func_cap) */
	u8 cfg[256];	   /* configuration space as the guest reads it */
	u8 reset_cfg[256]; /* the same at power-on (vpci_add copies cfg) */
	struct pci_bar {
		u64 size;     /* 0: no BAR here; a power of two, at least 4 KiB */
		bool is64;    /* 64-bit memory BAR: this slot and the next */
		u64 mapped;   /* its base on the VM's MMIO bus, 0 if not mapped */
		bool refused; /* the guest placed it over RAM or another range: logged once */
	} bar[VPCI_BARS];
	/* MSI-X (PCI 3.0 6.8.2), if msix_n: its capability's offset, the BAR and offsets of the
	 * table and the pending bits, and the vectors themselves. */
	u8 msix_cap;
	u8 msix_bar;
	u16 msix_n;
	u32 msix_table, msix_pba;
	struct msix_entry msix[VPCI_MSIX_MAX];
	u64 msix_pending; /* PBA bits, vectors 0-63 */
	u8 irq_pin;	  /* INTx pin the function uses (1: INTA), 0: none */
	bool intx;	  /* the level it drives now */
};

/* Start a function's configuration space: a type 0 header with these IDs, class code (class,
 * subclass, programming interface as 0xCCSSPP), revision, and subsystem IDs, INTA# as its
 * interrupt pin, no capabilities yet. ops and owner are the device's. */
void pci_func_init(struct pci_func *f, const struct pci_func_ops *ops, void *owner, u16 vendor,
		   u16 device, u32 class_code, u8 revision, u16 subvendor, u16 subsystem);
/* Give it a memory BAR of size bytes (a power of two, at least 4 KiB) at slot bar; a 64-bit one
 * takes slot bar + 1 too. False if the slot is taken or the size is wrong. */
bool pci_func_bar(struct pci_func *f, u32 bar, u64 size, bool is64);
/* Append a capability with this ID and body (len bytes after the ID and next-pointer bytes)
 * to the list: its offset in configuration space, 0 if it does not fit. */
u8 pci_func_cap(struct pci_func *f, u8 id, const void *body, u8 len);
/* Give it n MSI-X vectors (at most VPCI_MSIX_MAX), the table at table_off and the pending bits
 * at pba_off in memory BAR bar (both 8-byte aligned, inside the BAR). False if they do not
 * fit. */
bool pci_func_msix(struct pci_func *f, u16 n, u32 bar, u32 table_off, u32 pba_off);
/* Put f on vm's bus 0, at the next free device number: false (logged) if the bus is full. */
bool vpci_add(struct vm *vm, struct pci_func *f);

/* MSI-X is enabled and not masked as a whole: the device signals with pci_msix_send. */
bool pci_msix_enabled(const struct pci_func *f);
/* Signal vector n: an MSI to the VM's local APICs, or its pending bit if it is masked (sent
 * once unmasked). A vector past the table, or no MSI-X, is ignored. */
void pci_msix_send(struct pci_func *f, u16 n);
/* Drive the function's INTx line (level-triggered, through the I/O APIC pin its slot is
 * routed to in the DSDT's _PRT), unless the guest set the command register's INTx disable. */
void pci_intx(struct pci_func *f, bool level);
/* The I/O APIC pin (GSI) a slot's INTA# is routed to, as the DSDT's _PRT says. */
u32 vpci_slot_gsi(u32 slot);

#endif
