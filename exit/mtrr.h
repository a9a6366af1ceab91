/* The MTRR MSRs' rules (SDM 11.11), pure C so the host unit tests drive them. */
#ifndef KEEL_MTRR_H
#define KEEL_MTRR_H

#include "vm/vcpumsr.h"

#define MSR_MTRRCAP	   0x0fe
#define MSR_MTRR_PHYSBASE0 0x200 /* PHYSBASEn = 0x200 + 2n, PHYSMASKn = 0x201 + 2n */
#define MSR_MTRR_FIX64K	   0x250
#define MSR_MTRR_FIX16K_80 0x258
#define MSR_MTRR_FIX16K_A0 0x259
#define MSR_MTRR_FIX4K_C0  0x268 /* to 0x26f */
#define MSR_MTRR_DEF_TYPE  0x2ff
/* VCNT = 8, FIX (bit 8), WC (bit 10); no SMRR (bit 11) (SDM 11.11.1) */
#define MTRRCAP_VALUE (MTRR_NVAR | BIT(8) | BIT(10))

/* What a PC's firmware leaves for the OS (keel is the firmware of a Linux guest): MTRRs on,
 * write-back by default, [3 GiB, 4 GiB) uncached for the devices there. */
void mtrr_firmware(struct mtrr_state *m, u32 maxphyaddr);
/* Whether msr is one of the MTRR MSRs. */
bool mtrr_msr(u32 msr);
/* RDMSR of an MTRR MSR: 0, or -1 for #GP. */
int mtrr_read(const struct mtrr_state *m, u32 msr, u64 *val);
/* WRMSR of an MTRR MSR, with the guest's MAXPHYADDR: 0, or -1 for #GP (nothing changed). */
int mtrr_write(struct mtrr_state *m, u32 msr, u64 val, u32 maxphyaddr);

#endif
