/* Intel 82540EM (e1000), as QEMU and Bochs offer it: legacy descriptors, rings of NDESC
 * entries with a 2 KiB buffer each, every unicast and multicast address accepted (the NIC is
 * a switch's uplink: frames for the VMs behind it carry their MACs), polled with interrupts
 * masked. Sections are those of Intel's PCI/PCI-X Family of Gigabit Ethernet Controllers
 * Software Developer's Manual (8254x). */
#include "drivers/hnic.h"
#include "drivers/hnic_ring.h"
#include "drivers/timer.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "mm/mm.h"

/* A page per ring (3.2.6: a multiple of 128 bytes). 256 receive descriptors hold four windows of
 * the migration link (ML_WINDOW, 64 frames) between two polls: with 64, one burst while keel
 * was busy overflowed the ring and go-back-N resent the window (about 2300 frames in a Linux
 * migration between two Bochs machines). */
#define NDESC 256

/* 13.4: registers, offsets in BAR 0. */
enum {
	CTRL = 0x0000,
	EERD = 0x0014,
	IMC = 0x00d8,
	RCTL = 0x0100,
	TCTL = 0x0400,
	TIPG = 0x0410,
	RDBAL = 0x2800,
	RDBAH = 0x2804,
	RDLEN = 0x2808,
	RDH = 0x2810,
	RDT = 0x2818,
	TDBAL = 0x3800,
	TDBAH = 0x3804,
	TDLEN = 0x3808,
	TDH = 0x3810,
	TDT = 0x3818,
	MTA = 0x5200,
	RAL0 = 0x5400,
	RAH0 = 0x5404,
};
#define CTRL_ASDE  BIT(5)  /* 13.4.1: auto-speed detection */
#define CTRL_SLU   BIT(6)  /* set link up */
#define CTRL_RST   BIT(26) /* device reset, self-clearing */
#define RCTL_EN	   BIT(1)  /* 13.4.22 */
#define RCTL_UPE   BIT(3)  /* unicast promiscuous */
#define RCTL_MPE   BIT(4)  /* multicast promiscuous */
#define RCTL_BAM   BIT(15) /* accept broadcast */
#define RCTL_SECRC BIT(26) /* strip the CRC; BSIZE 00b: 2048-byte buffers */
#define TCTL_EN	   BIT(1)  /* 13.4.33 */
#define TCTL_PSP   BIT(3)  /* pad short packets */
#define RAH_AV	   BIT(31) /* 13.4.63: the address is valid */
#define DESC_DD	   1	   /* 3.2.3.1 / 3.3.3.2: descriptor done */
#define TCMD_EOP   BIT(0)  /* 3.3.3.1: end of packet */
#define TCMD_IFCS  BIT(1)  /* insert the FCS */
#define TCMD_RS	   BIT(3)  /* report status (DD) */

/* 3.2.3: a legacy receive descriptor. */
struct rdesc {
	u64 addr;    /* 0 */
	u16 len;     /* 8 */
	u16 csum;    /* 10 */
	u8 status;   /* 12 */
	u8 errors;   /* 13 */
	u16 special; /* 14 */
} __packed;
_Static_assert(sizeof(struct rdesc) == 16, "8254x 3.2.3");

/* 3.3.3: a legacy transmit descriptor. */
struct tdesc {
	u64 addr;    /* 0 */
	u16 len;     /* 8 */
	u8 cso;	     /* 10 */
	u8 cmd;	     /* 11 */
	u8 status;   /* 12 */
	u8 css;	     /* 13 */
	u16 special; /* 14 */
} __packed;
_Static_assert(sizeof(struct tdesc) == 16, "8254x 3.3.3");

struct enic {
	volatile u8 *regs;
	volatile struct rdesc *rx;
	volatile struct tdesc *tx;
	u8 *rxbuf, *txbuf;
	u32 rx_next, tx_tail;
};

static bool e1000_match(const struct hpci_dev *d)
{
	/* 5.1: 82540EM desktop; also the 82545EM and 82543GC that use the same interface */
	return d->vendor == 0x8086 && (d->device == 0x100e || d->device == 0x100f);
}

static u32 rd(const struct enic *e, u32 r)
{
	return *(volatile u32 *)(e->regs + r);
}

static void wr(const struct enic *e, u32 r, u32 v)
{
	*(volatile u32 *)(e->regs + r) = v;
}

/* 5.6: word w of the EEPROM through EERD (start bit 0, address 15:8, done bit 4, data 31:16
 * on the 82540EM). */
static u16 eeprom_word(const struct enic *e, u8 w)
{
	wr(e, EERD, 1u | (u32)w << 8);
	for (int i = 0; i < 100000; i++) {
		u32 v = rd(e, EERD);
		if (v & BIT(4))
			return (u16)(v >> 16);
	}
	return 0;
}

/* 13.4.63: receive address 0 holds the MAC once the EEPROM was loaded; else read the EEPROM's
 * words 0-2 (5.6.1). */
static void read_mac(const struct enic *e, u8 *mac)
{
	u32 lo = rd(e, RAL0), hi = rd(e, RAH0);
	if (hi & RAH_AV) {
		for (u32 i = 0; i < 4; i++)
			mac[i] = (u8)(lo >> (8 * i));
		mac[4] = (u8)hi;
		mac[5] = (u8)(hi >> 8);
		return;
	}
	for (u8 w = 0; w < 3; w++) {
		u16 v = eeprom_word(e, w);
		mac[2 * w] = (u8)v;
		mac[2 * w + 1] = (u8)(v >> 8);
	}
}

/* 14.3-14.5: reset, link up, interrupts masked, the multicast table cleared. */
static void reset(const struct enic *e)
{
	wr(e, CTRL, rd(e, CTRL) | CTRL_RST);
	ref_delay_us(10); /* 13.4.1: wait at least 1 us before touching registers again */
	for (int i = 0; i < 100000 && (rd(e, CTRL) & CTRL_RST); i++)
		;
	wr(e, IMC, 0xffffffffu);
	wr(e, CTRL, rd(e, CTRL) | CTRL_SLU | CTRL_ASDE);
	for (u32 i = 0; i < 128; i++)
		wr(e, MTA + 4 * i, 0);
}

/* 14.4: the receive ring, every descriptor but one given to the NIC (tail = n - 1). */
static void rx_init(struct enic *e, u64 ring)
{
	for (u32 i = 0; i < NDESC; i++)
		e->rx[i] = (struct rdesc){.addr = virt_to_phys(e->rxbuf + i * HNIC_BUF)};
	wr(e, RDBAL, (u32)ring);
	wr(e, RDBAH, (u32)(ring >> 32));
	wr(e, RDLEN, NDESC * sizeof(struct rdesc));
	wr(e, RDH, 0);
	wr(e, RDT, NDESC - 1);
	wr(e, RCTL, RCTL_EN | RCTL_UPE | RCTL_MPE | RCTL_BAM | RCTL_SECRC);
}

/* 14.5: the transmit ring, empty; the collision fields and IPG as the manual recommends for
 * full duplex copper (CT 0x10, COLD 0x40; IPGT 10, IPGR1 8, IPGR2 6). */
static void tx_init(struct enic *e, u64 ring)
{
	wr(e, TDBAL, (u32)ring);
	wr(e, TDBAH, (u32)(ring >> 32));
	wr(e, TDLEN, NDESC * sizeof(struct tdesc));
	wr(e, TDH, 0);
	wr(e, TDT, 0);
	wr(e, TCTL, TCTL_EN | TCTL_PSP | 0x10u << 4 | 0x40u << 12);
	wr(e, TIPG, 10u | 8u << 10 | 6u << 20);
}

static bool e1000_probe(struct hnic *n)
{
	struct hpci_bar b;
	struct enic *e = kmalloc(sizeof(*e));
	u64 rings = page_alloc(2), bufs = page_alloc(2 * NDESC * HNIC_BUF / PAGE_SIZE);
	if (!e || !rings || !bufs || !hpci_bar(n->pci, 0, &b) || b.io) {
		log_warn("hnic: e1000 at %02x:%02x.%x: no memory BAR 0 or no memory for rings",
			 n->pci->bus, n->pci->dev, n->pci->fn);
		return false;
	}
	hpci_enable(n->pci);
	*e = (struct enic){.regs = phys_to_virt(b.base),
			   .rx = phys_to_virt(rings),
			   .tx = phys_to_virt(rings + PAGE_SIZE),
			   .rxbuf = phys_to_virt(bufs),
			   .txbuf = phys_to_virt(bufs + NDESC * HNIC_BUF)};
	n->priv = e;
	reset(e);
	read_mac(e, n->mac);
	rx_init(e, rings);
	tx_init(e, rings + PAGE_SIZE);
	return true;
}

/* 3.3: fill the descriptor at tail, then move TDT past it; the slot at head is the NIC's. */
static bool e1000_send(struct hnic *n, const void *frame, u32 len)
{
	struct enic *e = n->priv;
	if (len > HNIC_FRAME_MAX || ring_full(rd(e, TDH), e->tx_tail, NDESC))
		return false;
	u8 *b = e->txbuf + e->tx_tail * HNIC_BUF;
	memcpy(b, frame, len);
	e->tx[e->tx_tail] = (struct tdesc){
		.addr = virt_to_phys(b), .len = (u16)len, .cmd = TCMD_EOP | TCMD_IFCS | TCMD_RS};
	e->tx_tail = ring_next(e->tx_tail, NDESC);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the descriptor before the tail */
	wr(e, TDT, e->tx_tail);
	return true;
}

/* 3.2.7: a descriptor with DD set holds a frame; copy it out, clear it, and hand it back by
 * moving RDT onto it. Frames spread over several descriptors (no EOP) are dropped. */
static u32 e1000_recv(struct hnic *n, void *buf)
{
	struct enic *e = n->priv;
	volatile struct rdesc *d = &e->rx[e->rx_next];
	if (!(d->status & DESC_DD))
		return 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* status before the data */
	u32 len = (d->status & 2) && !d->errors ? MIN((u32)d->len, (u32)HNIC_FRAME_MAX) : 0;
	memcpy(buf, e->rxbuf + e->rx_next * HNIC_BUF, len);
	d->status = 0;
	wr(e, RDT, e->rx_next);
	e->rx_next = ring_next(e->rx_next, NDESC);
	return len ? len : e1000_recv(n, buf);
}

const struct hnic_ops hnic_e1000_ops = {
	.model = "e1000",
	.match = e1000_match,
	.probe = e1000_probe,
	.send = e1000_send,
	.recv = e1000_recv,
};
