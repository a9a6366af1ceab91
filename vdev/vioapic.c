/* I/O APIC (82093AA data sheet, order 290566): IOREGSEL at +0x00 and IOWIN at +0x10 select
 * and move 32-bit registers: ID (0x00), version (0x01), arbitration (0x02) and 24 64-bit
 * redirection entries (0x10 + 2n low, 0x11 + 2n high). Edge pins deliver on a rising edge;
 * level pins deliver while asserted with remote IRR clear, and again after the local APIC's
 * EOI if still asserted. Delivery reaches the local APICs through vlapic_route. A pin's level
 * is whether its line is asserted, whatever the entry's polarity bit (kept as written): the
 * PCI pins 16-23, which Linux programs level and active-low from the DSDT's _PRT, and the ISA
 * ones, active-high, alike. */
#include "vdev/vioapic.h"
#include "vdev/vdev.h"
#include "vdev/vlapic.h"

enum { IOREGSEL = 0x00, IOWIN = 0x10 }; /* MMIO offsets (3.1) */
enum { IOAPICID = 0x00, IOAPICVER = 0x01, IOAPICARB = 0x02, IOREDTBL = 0x10 }; /* 3.2 */

#define IOAPIC_VERSION 0x00170011u /* bits 23:16: highest entry (0x17), 7:0: version 0x11 */

/* Redirection entry bits (3.2.4). */
#define RTE_LOGICAL    BIT(11) /* destination mode */
#define RTE_REMOTE_IRR BIT(14) /* level: accepted, EOI not yet seen (read-only) */
#define RTE_LEVEL      BIT(15) /* trigger mode */
#define RTE_MASKED     BIT(16)
#define RTE_WRITABLE   0xff0000000001afffull /* dest, mask, trigger, polarity, mode, vector */

/* Every pin masked; the ID register follows the vCPU count until written. */
void vioapic_reset(struct vioapic *io)
{
	*io = (struct vioapic){.id = VIOAPIC_ID_UNSET};
	for (int i = 0; i < VIOAPIC_PINS; i++)
		io->redir[i] = RTE_MASKED;
}

/* Send entry e's interrupt to the local APICs it names (3.2.4: destination bits 63:56,
 * destination mode bit 11, delivery mode bits 10:8, vector 7:0). */
static void deliver(struct vm *vm, u64 e)
{
	vlapic_route(vm, (u32)(e >> 56), e & RTE_LOGICAL, (e >> 8) & 7, (u8)e, e & RTE_LEVEL);
}

/* A level pin that is asserted, unmasked and not already waiting for its EOI fires. */
static void level_check(struct vm *vm, struct vioapic *io, u32 pin)
{
	u64 *e = &io->redir[pin];
	if ((*e & RTE_LEVEL) && !(*e & (RTE_MASKED | RTE_REMOTE_IRR)) && (io->lines & BIT(pin))) {
		*e |= RTE_REMOTE_IRR;
		deliver(vm, *e);
	}
}

/* A pin changed level: an edge pin fires on the rise, a level pin while high. */
void vioapic_line(struct vm *vm, u32 gsi, bool level)
{
	struct vioapic *io = (struct vioapic *)vm_device(vm, &vioapic_ops);
	if (gsi >= VIOAPIC_PINS)
		return;
	bool was = io->lines & BIT(gsi);
	io->lines = level ? io->lines | (u32)BIT(gsi) : io->lines & ~(u32)BIT(gsi);
	u64 e = io->redir[gsi];
	if (e & RTE_LEVEL)
		level_check(vm, io, gsi);
	else if (level && !was && !(e & RTE_MASKED)) /* a masked edge is lost (3.2.4) */
		deliver(vm, e);
}

/* A level vector was EOIed: its pins may take the next interrupt (or the same again). */
void vioapic_eoi(struct vm *vm, u8 vector)
{
	struct vioapic *io = (struct vioapic *)vm_device(vm, &vioapic_ops);
	for (u32 pin = 0; pin < VIOAPIC_PINS; pin++) {
		if ((u8)io->redir[pin] != vector || !(io->redir[pin] & RTE_REMOTE_IRR))
			continue;
		io->redir[pin] &= ~RTE_REMOTE_IRR;
		level_check(vm, io, pin);
	}
}

/* The ID and arbitration registers: the ID in bits 27:24. */
static u32 id_bits(const struct vm *vm, const struct vioapic *io)
{
	u32 id = io->id == VIOAPIC_ID_UNSET ? vm->nvcpus : io->id;
	return (id & 0xf) << 24;
}

/* The register IOREGSEL selects; 0 past the redirection table. */
static u32 reg_read(const struct vm *vm, const struct vioapic *io, u32 reg)
{
	if (reg == IOAPICID || reg == IOAPICARB)
		return id_bits(vm, io);
	if (reg == IOAPICVER)
		return IOAPIC_VERSION;
	u32 pin = (reg - IOREDTBL) / 2;
	if (reg < IOREDTBL || pin >= VIOAPIC_PINS)
		return 0;
	return (u32)(io->redir[pin] >> (reg & 1 ? 32 : 0));
}

/* Write the selected register: the ID, or half of a redirection entry. */
static void reg_write(struct vm *vm, struct vioapic *io, u32 reg, u32 val)
{
	if (reg == IOAPICID) {
		io->id = (val >> 24) & 0xf;
		return;
	}
	u32 pin = (reg - IOREDTBL) / 2;
	if (reg < IOREDTBL || pin >= VIOAPIC_PINS)
		return; /* version and arbitration are read-only */
	u64 *e = &io->redir[pin];
	u64 v = reg & 1 ? (*e & 0xffffffffull) | (u64)val << 32 : (*e & ~0xffffffffull) | val;
	*e = (*e & ~RTE_WRITABLE) | (v & RTE_WRITABLE);
	if (!(*e & RTE_LEVEL))
		*e &= ~RTE_REMOTE_IRR; /* edge mode clears it: Linux relies on this to unstick a pin
					*/
	level_check(vm, io, pin);
}

/* Registers are 32 bits wide and must be accessed as such (3.0): other sizes read all-ones
 * and write nothing. */
static u64 vioapic_read(struct vcpu *v, void *dev, u64 addr, u8 size)
{
	struct vioapic *io = dev;
	u64 off = addr - VIOAPIC_BASE;
	if (size != 4)
		return ~0ull;
	if (off == IOREGSEL)
		return io->ioregsel;
	return off == IOWIN ? reg_read(v->vm, io, io->ioregsel) : 0;
}

/* IOREGSEL or IOWIN written, as a dword. */
static void vioapic_write(struct vcpu *v, void *dev, u64 addr, u8 size, u64 val)
{
	struct vioapic *io = dev;
	u64 off = addr - VIOAPIC_BASE;
	if (size != 4)
		return;
	if (off == IOREGSEL)
		io->ioregsel = (u32)val & 0xff;
	else if (off == IOWIN)
		reg_write(v->vm, io, io->ioregsel, (u32)val);
}

/* ---- state records (vdev/vrecord.h): kind VREC_IOAPIC, version 1 ---- */

struct ioapic_rec {
	u32 ioregsel;		 /* 0x00 0-0xff */
	u32 id;			 /* 0x04 0-15, or VIOAPIC_ID_UNSET */
	u32 lines;		 /* 0x08 pin levels, bits 23:0 */
	u32 zero;		 /* 0x0c */
	u64 redir[VIOAPIC_PINS]; /* 0x10 writable bits and remote IRR */
};
_Static_assert(sizeof(struct ioapic_rec) == 208, "I/O APIC record");

/* Fill the payload above from the device and write it out behind its header. */
u64 vioapic_save(const void *dev, u64 now, void *buf, u64 len)
{
	const struct vioapic *io = dev;
	struct ioapic_rec rec = {.ioregsel = io->ioregsel, .id = io->id, .lines = io->lines};
	(void)now;
	for (int i = 0; i < VIOAPIC_PINS; i++)
		rec.redir[i] = io->redir[i];
	return vrec_write(buf, len, VREC_IOAPIC, 1, &rec, sizeof(rec));
}

/* An entry as the code leaves it: remote IRR only on a level pin, and a level pin that is
 * high and unmasked has been delivered (remote IRR set). */
static void check_entry(struct vrec_reader *r, u64 e, bool high)
{
	vrec_require(r, !(e & ~(RTE_WRITABLE | RTE_REMOTE_IRR)), "I/O APIC entry out of range");
	vrec_require(r, (e & RTE_LEVEL) || !(e & RTE_REMOTE_IRR), "I/O APIC remote IRR on edge");
	vrec_require(r, !(e & RTE_LEVEL) || (e & (RTE_MASKED | RTE_REMOTE_IRR)) || !high,
		     "I/O APIC level pin high and not delivered");
}

/* Check the header and every field first; replace the device only if all pass. */
const char *vioapic_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len)
{
	struct ioapic_rec rec;
	struct vrec_reader r;
	(void)vm;
	if (!vrec_open(&r, buf, len, VREC_IOAPIC, 1, &rec, sizeof(rec), now))
		return r.why;
	vrec_require(&r, rec.ioregsel <= 0xff, "I/O APIC IOREGSEL out of range");
	vrec_require(&r, rec.id <= 0xf || rec.id == VIOAPIC_ID_UNSET, "I/O APIC ID out of range");
	vrec_require(&r, rec.lines < BIT(VIOAPIC_PINS) && !rec.zero, "I/O APIC lines out of range");
	for (int i = 0; i < VIOAPIC_PINS; i++)
		check_entry(&r, rec.redir[i], rec.lines & BIT(i));
	if (r.why)
		return r.why;
	struct vioapic *io = dev;
	*io = (struct vioapic){.ioregsel = rec.ioregsel, .id = rec.id, .lines = rec.lines};
	for (int i = 0; i < VIOAPIC_PINS; i++)
		io->redir[i] = rec.redir[i];
	return NULL;
}

/* Its ports (MMIO) on the buses. */
static bool vioapic_attach(struct vm *vm, void *dev)
{
	return bus_add(&vm->mmio, VIOAPIC_BASE, PAGE_SIZE, &vioapic_ops, dev);
}

/* Power-on state. */
static void vioapic_reset_op(struct vm *vm, void *dev)
{
	(void)vm;
	vioapic_reset(dev);
}

const struct vdev_ops vioapic_ops = {
	.name = "ioapic",
	.size = sizeof(struct vioapic),
	.read = vioapic_read,
	.write = vioapic_write,
	.attach = vioapic_attach,
	.reset = vioapic_reset_op,
	.save = vioapic_save,
	.load = vioapic_load,
};
