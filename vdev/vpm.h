/* ACPI fixed-hardware registers at 0x600-0x60b, where keel's FADT puts them (vdev/vacpi.c):
 * PM1a event block (status, enable), PM1a control block, and the PM timer. */
#ifndef KEEL_VPM_H
#define KEEL_VPM_H

#include "lib/types.h"

struct vdev_ops;

#define VPM_BASE   0x600
#define VPM_EVT	   (VPM_BASE + 0) /* PM1a_EVT_BLK: status (2 bytes), enable (2 bytes) */
#define VPM_CNT	   (VPM_BASE + 4) /* PM1a_CNT_BLK: 2 bytes */
#define VPM_TMR	   (VPM_BASE + 8) /* PM_TMR_BLK: 4 bytes, 32-bit counter */
#define VPM_LEN	   12
#define VPM_TMR_HZ 3579545 /* ACPI 6.5 4.8.3.3: 3.579545 MHz */
#define VPM_S5_TYP 0	   /* SLP_TYP of \_S5 in keel's DSDT */

struct vpm {
	u16 sts, en; /* PM1 status (write 1 to clear) and enable */
	u16 cnt;     /* PM1 control: SCI_EN always set; SLP_EN reads 0 */
	u64 base;    /* guest clock at reset: the timer counts from 0 there */
	bool sci;    /* the SCI level driven on GSI 9 */
};

/* Power-on state: ACPI mode (SCI_EN), nothing enabled, the timer at 0. */
void vpm_reset(struct vpm *p, u64 now);

struct vm;
/* Save the ACPI PM registers (dev: its struct vpm) at guest-clock time now as a record in buf (len
 * bytes, VREC_MAX fits): the bytes written, 0 if it does not fit. Device lock held. */
u64 vpm_save(const void *dev, u64 now, void *buf, u64 len);
/* Rebuild dev, a fresh VM's ACPI PM registers, from vpm_save's record: status, enable,
 * control, the SCI level and the PM timer's count, going on from where it was; drives no line.
 * NULL, or why the record is refused (dev unchanged). Device lock held. */
const char *vpm_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

/* Press vm's ACPI power button (system_powerdown): PWRBTN_STS set, the SCI raised if the
 * guest enabled it. False if vm has no PM device. Takes the device lock. */
bool vpm_power_button(struct vm *vm);

/* The device (bus accesses, attach, reset, save, load), in the platform's table. */
extern const struct vdev_ops vpm_ops;

#endif
