/* The host's PCI: the real machine's functions, found through configuration space (ports
 * 0xcf8/0xcfc, or ECAM when ACPI's MCFG gives it), their BARs sized and mapped, bus mastering
 * turned on for the drivers that own them. Not the guests' PCI (vdev/vpci*): no guest ever sees
 * a function listed here. Interrupts are not used: keel's NIC drivers poll (README "Networks"). */
#ifndef KEEL_HPCI_H
#define KEEL_HPCI_H

#include "lib/types.h"

#define HPCI_MAX 64 /* functions keel remembers */

/* PCI Local Bus 3.0, 6.1: the type 0 header's registers keel reads. */
enum {
	HPCI_VENDOR = 0x00,
	HPCI_DEVICE = 0x02,
	HPCI_COMMAND = 0x04,
	HPCI_STATUS = 0x06,
	HPCI_CLASS = 0x08, /* revision, prog-if, subclass, class */
	HPCI_HEADER = 0x0e,
	HPCI_BAR0 = 0x10,
	HPCI_CAPS = 0x34,
	HPCI_IRQ_LINE = 0x3c,
};
#define HPCI_CMD_IO	  BIT(0) /* 6.2.2: respond to I/O space */
#define HPCI_CMD_MEM	  BIT(1) /* respond to memory space */
#define HPCI_CMD_MASTER	  BIT(2) /* may start DMA */
#define HPCI_CMD_INTX_OFF BIT(10)
#define HPCI_STATUS_CAPS  BIT(4) /* 6.2.3: a capability list at 0x34 */

struct hpci_dev {
	u8 bus, dev, fn;
	u16 vendor, device;
	u32 class;    /* class << 16 | subclass << 8 | prog-if */
	bool claimed; /* a keel driver owns it */
};

/* A BAR as decoded from the value and the sizing mask (6.2.5.1). */
struct hpci_bar {
	u64 base, size; /* size 0: not implemented */
	bool io, is64, prefetch;
};

/* Decode BAR n from its value (lo, hi for a 64-bit one's upper half) and what it read back
 * after all ones were written (mlo, mhi). Pure: host-tested. */
struct hpci_bar hpci_bar_decode(u32 lo, u32 hi, u32 mlo, u32 mhi);

/* Find the host's functions (logged): once, at start-up. */
void hpci_init(void);
u32 hpci_count(void);
struct hpci_dev *hpci_at(u32 i);

u32 hpci_read32(const struct hpci_dev *d, u16 off);
u16 hpci_read16(const struct hpci_dev *d, u16 off);
u8 hpci_read8(const struct hpci_dev *d, u16 off);
void hpci_write32(const struct hpci_dev *d, u16 off, u32 v);
void hpci_write16(const struct hpci_dev *d, u16 off, u16 v);

/* Size BAR n (and map it uncached if it is memory): false if it is not implemented. */
bool hpci_bar(const struct hpci_dev *d, u32 n, struct hpci_bar *b);
/* Turn on memory and I/O decoding and bus mastering, INTx off (keel polls). */
void hpci_enable(const struct hpci_dev *d);
/* The offset of the first capability with this id at or after offset from (0: the list's
 * start), 0 if none (6.7). */
u8 hpci_cap(const struct hpci_dev *d, u8 id, u8 from);

#endif
