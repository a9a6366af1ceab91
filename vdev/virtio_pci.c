/* The virtio 1.x PCI transport (virtio 1.2, 4.1): each virtio device of a VM is one PCI function
 * with its registers in BAR 4 (COMMON, ISR, DEVICE and NOTIFY, one page each) and MSI-X in BAR 1,
 * found by the driver through vendor capabilities (4.1.4). This file builds the functions at
 * attach from the kinds table (vdev/virtio_kinds.h) and routes BAR and PCI_CFG window accesses;
 * the common configuration structure is virtio_common.c's, the rings virtq.c's, the state
 * record virtio_rec.c's. */
#include "vdev/virtio_int.h"
#include "vdev/virtio_kinds.h"
#include "vdev/vdev.h"
#include "lib/string.h"
#include "mm/mm.h"

#define VIRTIO_VENDOR	   0x1af4 /* 4.1.2: Red Hat, Inc. */
#define VIRTIO_PCI_DEVICE  0x1040 /* 4.1.2: 0x1040 + device ID, non-transitional */
#define VIRTIO_PCI_SUBSYS  0x40	  /* 4.1.2.1: subsystem ID 0x40 or higher */
#define PCI_CAP_VENDOR	   0x09	  /* PCI 3.0 H: vendor-specific capability */
#define VIRTIO_CAP_COMMON  1	  /* 4.1.4: cfg_type values */
#define VIRTIO_CAP_NOTIFY  2
#define VIRTIO_CAP_ISR	   3
#define VIRTIO_CAP_DEVICE  4
#define VIRTIO_CAP_PCI_CFG 5
#define CAP_BAR		   4 /* struct virtio_pci_cap: bar, offset and length from the ID byte */
#define CAP_OFFSET	   8
#define CAP_LENGTH	   12
#define CAP_DATA	   16 /* virtio_pci_cfg_cap: pci_cfg_data */

static const struct virtio_kind *const kinds[] = {
#define VIRTIO_KIND_PLUG(k) &k,
	VIRTIO_KINDS(VIRTIO_KIND_PLUG)
#undef VIRTIO_KIND_PLUG
};

/* 4.1.4.5.1: reading ISR clears it, and with it the INTx line. */
static u8 isr_read(struct virtio_dev *d)
{
	u8 v = d->isr;
	d->isr = 0;
	pci_intx(&d->pci, false);
	return v;
}

/* The device-specific configuration (4.1.4.6), little-endian; nothing past its end. */
static u64 device_read(const struct virtio_dev *d, u32 off, u8 size)
{
	u64 v = 0;
	if (off + size <= d->kind->config_size)
		memcpy(&v, d->config + off, size);
	return v;
}

/* A write to the device-specific configuration: stored, then the kind sees it. */
static void device_write(struct virtio_dev *d, u32 off, u8 size, u64 val)
{
	if (off + size > d->kind->config_size)
		return;
	memcpy(d->config + off, &val, size);
	if (d->kind->config_write)
		d->kind->config_write(d, off, size);
}

/* 4.1.4.4: queue q's notify address is NOTIFY + q * multiplier; the value written is q (no
 * VIRTIO_F_NOTIFICATION_DATA), so the address alone says which queue. */
static void notify_write(struct virtio_dev *d, u32 off)
{
	u32 q = off / VIRTIO_NOTIFY_MULT;
	if (q < d->kind->nqueues && virtio_queue_ready(d, (u16)q) && d->kind->notify)
		d->kind->notify(d, (u16)q);
}

/* BAR 4, by page: the structure at off. Other BARs are vpci's (MSI-X) or empty. */
static u64 bar_read(struct pci_func *f, u32 bar, u64 off, u8 size)
{
	struct virtio_dev *d = f->owner;
	if (bar != VIRTIO_BAR || off >= VIRTIO_BAR_SIZE || size > 8)
		return 0;
	u32 page = (u32)off & ~0xfffu, in = (u32)off & 0xfff;
	switch (page) {
	case VIRTIO_COMMON: return virtio_common_read(d, in, size);
	case VIRTIO_ISR: return in == 0 ? isr_read(d) : 0;
	case VIRTIO_DEVICE: return device_read(d, in, size);
	default: return 0; /* NOTIFY reads as 0 */
	}
}

static void bar_write(struct pci_func *f, u32 bar, u64 off, u8 size, u64 val)
{
	struct virtio_dev *d = f->owner;
	if (bar != VIRTIO_BAR || off >= VIRTIO_BAR_SIZE || size > 8)
		return;
	u32 page = (u32)off & ~0xfffu, in = (u32)off & 0xfff;
	switch (page) {
	case VIRTIO_COMMON: virtio_common_write(d, in, size, val); break;
	case VIRTIO_DEVICE: device_write(d, in, size, val); break;
	case VIRTIO_NOTIFY: notify_write(d, in); break;
	default: break; /* ISR is read-only */
	}
}

/* The PCI_CFG capability's offset in configuration space (walking the list), 0 if none. */
static u32 pcicfg_cap(const struct pci_func *f)
{
	u32 at = f->cfg[0x34] & 0xfc;
	for (int n = 0; at >= 0x40 && n < 48; n++, at = f->cfg[at + 1] & 0xfc)
		if (f->cfg[at] == PCI_CAP_VENDOR && f->cfg[at + 3] == VIRTIO_CAP_PCI_CFG)
			return at;
	return 0;
}

static u32 le32_at(const u8 *p)
{
	u32 v;
	memcpy(&v, p, 4);
	return v;
}

/* 4.1.4.9: the window's BAR access is valid when it names BAR 4, a length of 1, 2 or 4, and
 * an offset aligned to it; the offset in the BAR goes to *off. */
static bool window(const struct pci_func *f, u32 cap, u32 *off, u8 *len)
{
	*off = le32_at(f->cfg + cap + CAP_OFFSET);
	u32 l = le32_at(f->cfg + cap + CAP_LENGTH);
	*len = (u8)l;
	return f->cfg[cap + CAP_BAR] == VIRTIO_BAR && (l == 1 || l == 2 || l == 4) &&
	       *off % l == 0 && *off < VIRTIO_BAR_SIZE;
}

/* A configuration read in a virtio capability: a read that touches pci_cfg_data first reads
 * the window's BAR bytes into it (4.1.4.9.1). */
static u32 cfg_read(struct pci_func *f, u32 off, u8 size)
{
	u32 cap = pcicfg_cap(f), woff, v = 0;
	u8 wlen;
	if (cap && off + size > cap + CAP_DATA && off < cap + CAP_DATA + 4) {
		u32 data =
			window(f, cap, &woff, &wlen) ? (u32)bar_read(f, VIRTIO_BAR, woff, wlen) : 0;
		memcpy(f->cfg + cap + CAP_DATA, &data, 4);
	}
	if (off + size <= sizeof(f->cfg))
		memcpy(&v, f->cfg + off, size);
	return v;
}

/* A configuration write in a virtio capability: only the PCI_CFG capability's bar, offset,
 * length and data are writable; a write to data goes through the window to the BAR. */
static void cfg_write(struct pci_func *f, u32 off, u8 size, u32 val)
{
	u32 cap = pcicfg_cap(f), woff;
	u8 wlen;
	bool data = false;
	for (u32 i = 0; cap && i < size; i++) {
		u32 at = off + i, rel = at - cap;
		if (at < cap || rel >= CAP_DATA + 4 || (rel < CAP_OFFSET && rel != CAP_BAR))
			continue;
		f->cfg[at] = (u8)(val >> (8 * i));
		data |= rel >= CAP_DATA;
	}
	if (data && window(f, cap, &woff, &wlen))
		bar_write(f, VIRTIO_BAR, woff, wlen, le32_at(f->cfg + cap + CAP_DATA));
}

static const struct pci_func_ops virtio_pci_ops = {
	.bar_read = bar_read,
	.bar_write = bar_write,
	.cfg_read = cfg_read,
	.cfg_write = cfg_write,
};

/* One vendor capability (struct virtio_pci_cap, 4.1.4) for a structure in BAR 4. The NOTIFY
 * capability adds notify_off_multiplier, the PCI_CFG one pci_cfg_data (its window starts
 * closed: BAR 0, length 0). */
static bool add_cap(struct pci_func *f, u8 type, u32 off, u32 len)
{
	u8 body[18] = {0}; /* from cap_len: the ID and next bytes are vpci's */
	u32 mult = VIRTIO_NOTIFY_MULT;
	u8 n = type == VIRTIO_CAP_NOTIFY || type == VIRTIO_CAP_PCI_CFG ? 18 : 14;
	body[0] = (u8)(n + 2); /* cap_len counts the ID and next bytes */
	body[1] = type;
	body[2] = type == VIRTIO_CAP_PCI_CFG ? 0 : VIRTIO_BAR;
	memcpy(body + 6, &off, 4);
	memcpy(body + 10, &len, 4);
	if (type == VIRTIO_CAP_NOTIFY)
		memcpy(body + 14, &mult, 4);
	return pci_func_cap(f, PCI_CAP_VENDOR, body, n) != 0;
}

/* d's PCI function (4.1.2, 4.1.4): IDs, the two BARs, the five capabilities, MSI-X with a
 * vector per queue and one for configuration changes. */
static bool build_func(struct virtio_dev *d)
{
	const struct virtio_kind *k = d->kind;
	struct pci_func *f = &d->pci;
	pci_func_init(f, &virtio_pci_ops, d, VIRTIO_VENDOR, (u16)(VIRTIO_PCI_DEVICE + k->id),
		      k->class_code, 1, VIRTIO_VENDOR, (u16)(VIRTIO_PCI_SUBSYS + k->id));
	return pci_func_bar(f, VIRTIO_BAR, VIRTIO_BAR_SIZE, true) &&
	       pci_func_bar(f, VIRTIO_MSIX_BAR, VIRTIO_MSIX_SIZE, false) &&
	       add_cap(f, VIRTIO_CAP_COMMON, VIRTIO_COMMON, VIRTIO_COMMON_LEN) &&
	       add_cap(f, VIRTIO_CAP_NOTIFY, VIRTIO_NOTIFY, VIRTIO_NOTIFY_MULT * k->nqueues) &&
	       add_cap(f, VIRTIO_CAP_ISR, VIRTIO_ISR, 1) &&
	       add_cap(f, VIRTIO_CAP_DEVICE, VIRTIO_DEVICE, MAX(k->config_size, 1u)) &&
	       add_cap(f, VIRTIO_CAP_PCI_CFG, 0, 0) &&
	       pci_func_msix(f, (u16)(k->nqueues + 1), VIRTIO_MSIX_BAR, 0, VIRTIO_MSIX_PBA) &&
	       vpci_add(d->vm, f);
}

/* A kind whose numbers the transport cannot serve is keel's bug: the VM is not started. */
static bool kind_fits(const struct virtio_kind *k)
{
	return k->nqueues && k->nqueues <= VIRTIO_QUEUES_MAX && k->queue_size &&
	       k->queue_size <= VIRTQ_SIZE_MAX && !(k->queue_size & (k->queue_size - 1)) &&
	       k->config_size <= sizeof(((struct virtio_dev *)0)->config) &&
	       k->nqueues + 1u <= VPCI_MSIX_MAX;
}

/* Device index of kind k: its state, the kind's init, then its PCI function. */
static struct virtio_dev *new_dev(struct vm *vm, const struct virtio_kind *k, u32 index)
{
	if (!kind_fits(k)) {
		log_err("vm %s: %s has queues or configuration keel cannot serve", vm->name,
			k->name);
		return NULL;
	}
	u64 head = ALIGN_UP(sizeof(struct virtio_dev), 16);
	struct virtio_dev *d = kmalloc(head + k->state_size);
	if (!d)
		return NULL;
	*d = (struct virtio_dev){.kind = k, .vm = vm, .index = index};
	d->state = k->state_size ? (u8 *)d + head : NULL;
	if ((k->init && !k->init(d, index)) || !build_func(d)) {
		kfree(d);
		return NULL;
	}
	d->features |= VIRTIO_F_TRANSPORT;
	return d;
}

/* Each kind's devices in the table's order, and the scratch space their record needs. */
static bool virtio_attach(struct vm *vm, void *dev)
{
	struct virtio_devs *s = dev;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		u32 n = kinds[i]->count ? kinds[i]->count(vm) : 0;
		for (u32 j = 0; j < n; j++) {
			if (s->n == VIRTIO_DEVS_MAX) {
				log_err("vm %s: more than %u virtio devices", vm->name,
					VIRTIO_DEVS_MAX);
				return false;
			}
			struct virtio_dev *d = new_dev(vm, kinds[i], j);
			if (!d)
				return false;
			s->d[s->n++] = d;
		}
	}
	s->rec_size = virtio_rec_size(s);
	s->rec = kmalloc(s->rec_size);
	return s->rec != NULL;
}

/* A VM reset: every device as the driver first finds it. */
static void virtio_reset_op(struct vm *vm, void *dev)
{
	struct virtio_devs *s = dev;
	(void)vm;
	for (u32 i = 0; i < s->n; i++)
		virtio_reset(s->d[i]);
}

/* vm-destroy: each device's own holdings, then the devices and the record's scratch space. */
static void virtio_free_op(struct vm *vm, void *dev)
{
	struct virtio_devs *s = dev;
	(void)vm;
	for (u32 i = 0; i < s->n; i++) {
		if (s->d[i]->kind->free)
			s->d[i]->kind->free(s->d[i]);
		kfree(s->d[i]);
	}
	s->n = 0;
	kfree(s->rec);
	s->rec = NULL;
}

const struct vdev_ops virtio_ops = {
	.name = "virtio",
	.size = sizeof(struct virtio_devs),
	.attach = virtio_attach,
	.reset = virtio_reset_op,
	.save = virtio_save,
	.load = virtio_load,
	.free = virtio_free_op,
};

struct virtio_dev *virtio_find(struct vm *vm, const struct virtio_kind *kind, u32 index)
{
	const struct virtio_devs *s = vm_device(vm, &virtio_ops);
	for (u32 i = 0; s && i < s->n; i++)
		if (s->d[i]->kind == kind && s->d[i]->index == index)
			return s->d[i];
	return NULL;
}
