/* Every virtual device's state for one VM, in one plain struct, and the call that puts them
 * on the VM's buses. One file per device in vdev/, each exporting one const vdev_ops. */
#ifndef KEEL_VDEVS_H
#define KEEL_VDEVS_H

#include "kernel/types.h"

struct vm;

/* 16550 UART at 0x3f8 (vuart.c). */
struct vuart {
	u8 ier, lcr, mcr, scr, dll, dlm, fcr;
	u16 len;
	char line[240]; /* output not yet logged */
};

/* fw_cfg at 0x510/0x511 (fwcfg.c). */
struct fwcfg {
	u16 key;
	u32 off;
};

/* 8259 interrupt controller pair: for now the mask registers (vpic.c). */
struct vpic {
	u8 imr[2];
	u8 icw_step[2];
};

/* Local APIC, one per vCPU (vlapic.c). IRR bits may be set from other CPUs (atomically); the
 * rest belongs to the vCPU itself. */
struct vlapic {
	u32 tpr, ldr, dfr, svr, esr, icr_lo, icr_hi;
	u32 lvt[7]; /* timer, thermal, perf, lint0, lint1, error, cmci */
	u32 tmr_init, tmr_div;
	u64 tmr_start, tmr_period;  /* host TSC at the load, and ticks per full count */
	u32 irr[8], isr[8], tmr[8]; /* requests, in service, level-triggered: 256 bits each */
};
#define VLAPIC_BASE 0xfee00000ull
#define VLAPIC_KHZ  100000 /* the virtual APIC timer's input clock: 100 MHz */

struct vm_devices {
	struct vuart uart;
	struct fwcfg fwcfg;
	struct vpic pic;
	struct vlapic lapic[16];
	u64 unknown_logged[1024]; /* one bit per port: unknown ports are logged once */
};

extern const struct vdev_ops vuart_ops, debugexit_ops, fwcfg_ops, vpic_ops, vlapic_ops;

/* Reset every device and register it on vm's buses. */
bool vdevs_attach(struct vm *vm);

#endif
