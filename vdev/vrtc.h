/* MC146818 real-time clock and CMOS RAM at 0x70 (index, bit 7 masks NMI) and 0x71 (data).
 * Its interrupts (periodic, alarm, update-ended) go to ISA IRQ 8. */
#ifndef KEEL_VRTC_H
#define KEEL_VRTC_H

#include "lib/calendar.h"

/* CMOS memory bytes past the clock's registers (layout as SeaBIOS reads it); the clock's own
 * registers are in lib/calendar.h. */
enum {
	CMOS_BASE_MEM = 0x15, /* KiB below 1 MiB, 2 bytes */
	CMOS_EXT_MEM = 0x17,  /* KiB above 1 MiB up to 64 MiB, 2 bytes */
	CMOS_CSUM = 0x2e,     /* sum of 0x10-0x2d, big-endian */
	CMOS_EXT_MEM2 = 0x30, /* as 0x17 */
	CMOS_MEM_16M = 0x34,  /* 64 KiB units between 16 MiB and 4 GiB, 2 bytes */
	CMOS_MEM_4G = 0x5b,   /* 64 KiB units above 4 GiB, 3 bytes */
	CMOS_NCPUS = 0x5f,    /* vCPUs - 1 */
};

struct vrtc {
	u8 index;	 /* the register selected at 0x70 */
	bool nmi_masked; /* 0x70 bit 7 (kept: keel raises no NMIs from here) */
	u8 cmos[128];	 /* registers A-D and the RAM; the time registers while SET is on */
	u64 base_tsc;	 /* guest clock at reset: the 32.768 kHz divider counts from here */
	u64 seen;	 /* divider ticks up to which the interrupt flags are up to date */
	s64 base_unix;	 /* the time of day (Unix seconds) is base_unix + ticks / 32768 */
	u64 timer_at;	 /* the deadline its timer is armed for, 0 if none (for save) */
};

/* Power-on state: the host's time of day (vclock_unix()), BCD and 24 h, no interrupts; the memory
 * bytes from the VM's RAM (low: bytes below 4 GiB, high: bytes above it). */
void vrtc_reset(struct vrtc *r, u64 now, u64 low, u64 high);
/* After a reset of the machine, not of its power: put back the CMOS RAM (ram: the 128 bytes
 * from before vrtc_reset), as a PC's battery keeps it; the clock stays as reset, and the
 * memory bytes and their checksum are written again. */
void vrtc_keep_ram(struct vrtc *r, const u8 *ram, u64 low, u64 high);

struct vm;
/* Save the RTC (dev: its struct vrtc) at guest-clock time now as a record in buf (len bytes,
 * VREC_MAX fits): the bytes written, 0 if it does not fit. Device lock held. */
u64 vrtc_save(const void *dev, u64 now, void *buf, u64 len);
/* Rebuild dev, a fresh VM's RTC, from vrtc_save's record, at now: the time of day, the
 * divider's phase, flags and CMOS bytes as saved, the timer armed as it was. NULL, or why the
 * record is refused (dev unchanged). Drives no interrupt line. Device lock held. */
const char *vrtc_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

/* The device (bus accesses, attach, reset, save, load), in the platform's table. */
extern const struct vdev_ops vrtc_ops;

#endif
