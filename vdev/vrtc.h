/* MC146818 real-time clock and CMOS RAM at 0x70 (index, bit 7 masks NMI) and 0x71 (data).
 * Its interrupts (periodic, alarm, update-ended) go to ISA IRQ 8. */
#ifndef KEEL_VRTC_H
#define KEEL_VRTC_H

#include "kernel/types.h"

/* Register indices (MC146818 data sheet, "Address map"; CMOS layout as SeaBIOS reads it). */
enum {
	RTC_SEC = 0x00,
	RTC_SEC_ALARM = 0x01,
	RTC_MIN = 0x02,
	RTC_MIN_ALARM = 0x03,
	RTC_HOUR = 0x04,
	RTC_HOUR_ALARM = 0x05,
	RTC_WDAY = 0x06,
	RTC_MDAY = 0x07,
	RTC_MONTH = 0x08,
	RTC_YEAR = 0x09,
	RTC_REG_A = 0x0a,     /* UIP, divider, rate */
	RTC_REG_B = 0x0b,     /* SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE */
	RTC_REG_C = 0x0c,     /* IRQF, PF, AF, UF: cleared by reading */
	RTC_REG_D = 0x0d,     /* VRT */
	CMOS_BASE_MEM = 0x15, /* KiB below 1 MiB, 2 bytes */
	CMOS_EXT_MEM = 0x17,  /* KiB above 1 MiB up to 64 MiB, 2 bytes */
	CMOS_CSUM = 0x2e,     /* sum of 0x10-0x2d, big-endian */
	CMOS_EXT_MEM2 = 0x30, /* as 0x17 */
	CMOS_CENTURY = 0x32,  /* BCD or binary, as the time */
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
};

/* Power-on state: the host's time of day (vclock_unix()), BCD and 24 h, no interrupts; the memory
 * bytes from the VM's RAM (low: bytes below 4 GiB, high: bytes above it). */
void vrtc_reset(struct vrtc *r, u64 now, u64 low, u64 high);

#endif
