/* I/O APIC (Intel 82093AA data sheet): an index register at +0x00 and a data window at +0x10;
 * register 1 holds the version and, in bits 23:16, the number of pins less one; pin n's
 * redirection entry is registers 0x10 + 2n (low) and 0x11 + 2n (high: destination, 31:24). */
#include "drivers/ioapic.h"
#include "drivers/acpi.h"
#include "kernel/log.h"
#include "mm/mm.h"

#define IOREGSEL 0x00
#define IOWIN	 0x10
#define REG_VER	 0x01
#define REG_RTE	 0x10

#define RTE_ACTIVE_LOW BIT(13)
#define RTE_LEVEL      BIT(15)

/* MPS INTI flags (the MADT's override flags): 01 active high, 11 active low; trigger 01
 * edge, 11 level; 00 in either means the bus's own, which for ISA is high and edge. */
#define INTI_POLARITY(f) ((f)&3)
#define INTI_TRIGGER(f)	 (((f) >> 2) & 3)

static u32 rd(u64 base, u32 reg)
{
	*(volatile u32 *)(uintptr_t)(base + IOREGSEL) = reg;
	return *(volatile u32 *)(uintptr_t)(base + IOWIN);
}

static void wr(u64 base, u32 reg, u32 v)
{
	*(volatile u32 *)(uintptr_t)(base + IOREGSEL) = reg;
	*(volatile u32 *)(uintptr_t)(base + IOWIN) = v;
}

bool ioapic_route_isa(u8 irq, u8 vector, u32 apic_id)
{
	u32 gsi = acpi.isa_irq[irq & 15].gsi;
	u16 flags = acpi.isa_irq[irq & 15].flags;
	if (apic_id > 0xff) {
		log_warn("ioapic: APIC id %u is past what an I/O APIC can name", apic_id);
		return false;
	}
	for (int i = 0; i < acpi.nioapics; i++) {
		u64 base = acpi.ioapic[i].addr;
		if (gsi < acpi.ioapic[i].gsi_base)
			continue;
		mm_map_device(base, PAGE_SIZE);
		u32 pins = ((rd(base, REG_VER) >> 16) & 0xff) + 1,
		    pin = gsi - acpi.ioapic[i].gsi_base;
		if (pin >= pins)
			continue;
		u32 lo = vector;
		if (INTI_POLARITY(flags) == 3)
			lo |= RTE_ACTIVE_LOW;
		if (INTI_TRIGGER(flags) == 3)
			lo |= RTE_LEVEL;
		/* Destination first, then fixed delivery to it, physical mode, unmasked. */
		wr(base, REG_RTE + 2 * pin + 1, apic_id << 24);
		wr(base, REG_RTE + 2 * pin, lo);
		log_debug("ioapic: ISA IRQ %u is GSI %u, pin %u of I/O APIC %u, vector %#x", irq,
			  gsi, pin, acpi.ioapic[i].id, vector);
		return true;
	}
	log_warn("ioapic: no I/O APIC has ISA IRQ %u (GSI %u)", irq, gsi);
	return false;
}
