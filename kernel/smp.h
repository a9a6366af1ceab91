/* Bringing up the other CPUs the ACPI MADT lists, and handing them work. */
#ifndef KEEL_SMP_H
#define KEEL_SMP_H

#include "lib/types.h"

/* Start every application processor (INIT-SIPI-SIPI); each sets itself up and waits. A CPU
 * that does not answer is logged and left out. Returns the number of CPUs online. */
u32 smp_start(void);
/* Enable the virtualisation backend on every started AP (after the boot CPU's). */
void smp_enable_virt(void);
/* Let the APs enter the scheduler. */
void smp_go(void);
/* Per-CPU set-up shared by the boot CPU and the APs: FPU, SSE and cache control. */
void cpu_setup(void);

#endif
