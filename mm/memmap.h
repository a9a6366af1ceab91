/* Turning the loader's memory map into the memory keel may use. */
#ifndef KEEL_MEMMAP_H
#define KEEL_MEMMAP_H

#include "kernel/bootinfo.h"
#include "lib/range.h"

/* Highest physical address keel will manage (52-bit physical addresses, SDM 4.1.4). */
#define PHYS_ADDR_MAX (1ull << 52)

/* Build the usable set from a raw map: entries may be unsorted, overlapping, zero-length or
 * absurd. Usable entries are unioned, then every non-usable entry is cut out of them (a byte any
 * entry calls reserved stays reserved), then ranges are shrunk to whole pages. Logs what it
 * had to fix. */
void memmap_usable(const struct boot_mem *mem, int n, struct rangeset *out);

#endif
