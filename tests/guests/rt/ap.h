/* Starting an application processor (rt/ap.c), for the guests that run several vCPUs. */
#ifndef GUEST_AP_H
#define GUEST_AP_H

#include "rt.h"

/* Start the vCPU with xAPIC id id by INIT, SIPI, SIPI (the BSP's APIC enabled, in xAPIC mode,
 * after trap_init()): it runs fn() on its own stack with the BSP's GDT, segments, IDT and (in
 * 64-bit mode) page tables. fn must not return. One start at a time (the trampoline is shared:
 * wait until the AP runs fn), ids 1-3 (each its own stack; a restart of one reuses its stack). */
void ap_start(u32 id, void (*fn)(void));

#endif
