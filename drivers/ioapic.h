/* The host's I/O APIC: keel routes one line of its own, the console UART's IRQ. */
#ifndef KEEL_IOAPIC_H
#define KEEL_IOAPIC_H

#include "lib/types.h"

/* Deliver ISA IRQ irq (through the MADT's overrides) as vector to the CPU with APIC id
 * apic_id. False, with a log line, where no I/O APIC has that line. */
bool ioapic_route_isa(u8 irq, u8 vector, u32 apic_id);

#endif
