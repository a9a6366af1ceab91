/* ACPI: what keel needs from the firmware's tables (ACPI spec 6.x, chapter 5). */
#ifndef KEEL_ACPI_H
#define KEEL_ACPI_H

#include "kernel/bootinfo.h"

#define ACPI_MAX_CPUS	 64
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_TABLES	 32

struct acpi_cpu {
	u32 apic_id, acpi_id;
	bool enabled;
};

struct acpi_info {
	bool present;
	u8 revision;
	char oem[7];
	u64 rsdp_addr; /* 0 when the loader gave only a copy */
	u64 lapic_addr;
	bool has_8259; /* MADT PCAT_COMPAT */
	int ncpus;
	struct acpi_cpu cpu[ACPI_MAX_CPUS];
	int nioapics;
	struct {
		u8 id;
		u32 addr, gsi_base;
	} ioapic[ACPI_MAX_IOAPICS];
	struct {
		u32 gsi;
		u16 flags; /* MPS INTI flags: polarity bits 1:0, trigger 3:2; 0: as the bus */
	} isa_irq[16];	   /* ISA IRQ n: GSI n unless the MADT overrides it */
	u16 pm_timer_port; /* 0: none */
	bool pm_timer_32bit;
	u16 pm1a_cnt, pm1b_cnt;
	bool s5_valid;
	u8 slp_typa, slp_typb;
	bool reset_valid;
	u8 reset_space; /* 0: memory, 1: I/O port */
	u64 reset_addr;
	u8 reset_value;
	bool has_8042;
	/* MCFG (PCI Firmware 3.x, 4.1.2): segment 0's ECAM window; 0: none, use ports 0xcf8 */
	u64 ecam_base;
	u8 ecam_bus_start, ecam_bus_end;
	int ntables; /* every table's memory, so the page allocator leaves it alone */
	struct boot_range tables[ACPI_MAX_TABLES];
};

extern struct acpi_info acpi;

/* Find and parse the tables: the RSDP from the loader's copy or the BIOS areas. */
void acpi_init(const struct boot_info *bi);
/* Power off through the FADT's PM1 control registers (S5). Returns only if that failed. */
void acpi_power_off(void);
/* Reset through the FADT reset register, then port 0xcf9, then the keyboard controller. */
void acpi_reset(void);

#endif
