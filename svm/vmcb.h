/* The VMCB (AMD APM vol. 2, appendix B) and the SVM constants keel uses, grouped as the
 * manual groups them. Every field's offset is in its comment and checked below. */
#ifndef KEEL_VMCB_H
#define KEEL_VMCB_H

#include "lib/types.h"

struct vmcb_seg {
	u16 sel;   /* 0 */
	u16 attr;  /* 2: descriptor bits 47:40 and 55:52 */
	u32 limit; /* 4 */
	u64 base;  /* 8 */
} __packed;

struct vmcb {
	/* Control area (table B-1). */
	u32 intercept_cr;  /* 0x000: bits 0-15 CR reads, 16-31 CR writes */
	u32 intercept_dr;  /* 0x004 */
	u32 intercept_exc; /* 0x008: one bit per exception vector */
	u32 intercept1;	   /* 0x00c: INTR ... SHUTDOWN */
	u32 intercept2;	   /* 0x010: VMRUN ... XSETBV */
	u32 intercept3;	   /* 0x014 */
	u8 rsvd1[0x24];	   /* 0x018 */
	u16 pause_thresh;  /* 0x03c */
	u16 pause_count;   /* 0x03e */
	u64 iopm_pa;	   /* 0x040 */
	u64 msrpm_pa;	   /* 0x048 */
	u64 tsc_offset;	   /* 0x050 */
	u32 asid;	   /* 0x058 */
	u8 tlb_ctl;	   /* 0x05c */
	u8 rsvd2[3];	   /* 0x05d */
	u64 vintr;	   /* 0x060: V_TPR, V_IRQ, V_INTR_MASKING (bit 24), vector (39:32) */
	u64 int_state;	   /* 0x068: bit 0 interrupt shadow */
	u64 exitcode;	   /* 0x070 */
	u64 exitinfo1;	   /* 0x078 */
	u64 exitinfo2;	   /* 0x080 */
	u64 exitintinfo;   /* 0x088 */
	u64 np_ctl;	   /* 0x090: bit 0 nested paging enable */
	u8 rsvd3[0x10];	   /* 0x098 */
	u64 eventinj;	   /* 0x0a8 */
	u64 n_cr3;	   /* 0x0b0: nested page table root */
	u64 lbr_ctl;	   /* 0x0b8 */
	u32 clean;	   /* 0x0c0: VMCB clean bits */
	u32 rsvd4;	   /* 0x0c4 */
	u64 nrip;	   /* 0x0c8: next RIP, with NRIP-save */
	u8 insn_len;	   /* 0x0d0: decode assist */
	u8 insn_bytes[15]; /* 0x0d1 */
	u8 rsvd5[0x320];   /* 0x0e0 */
	/* State-save area (table B-2). */
	struct vmcb_seg es;   /* 0x400 */
	struct vmcb_seg cs;   /* 0x410 */
	struct vmcb_seg ss;   /* 0x420 */
	struct vmcb_seg ds;   /* 0x430 */
	struct vmcb_seg fs;   /* 0x440 */
	struct vmcb_seg gs;   /* 0x450 */
	struct vmcb_seg gdtr; /* 0x460 */
	struct vmcb_seg ldtr; /* 0x470 */
	struct vmcb_seg idtr; /* 0x480 */
	struct vmcb_seg tr;   /* 0x490 */
	u8 rsvd6[0x2b];	      /* 0x4a0 */
	u8 cpl;		      /* 0x4cb */
	u32 rsvd7;	      /* 0x4cc */
	u64 efer;	      /* 0x4d0 */
	u8 rsvd8[0x70];	      /* 0x4d8 */
	u64 cr4;	      /* 0x548 */
	u64 cr3;	      /* 0x550 */
	u64 cr0;	      /* 0x558 */
	u64 dr7;	      /* 0x560 */
	u64 dr6;	      /* 0x568 */
	u64 rflags;	      /* 0x570 */
	u64 rip;	      /* 0x578 */
	u8 rsvd9[0x58];	      /* 0x580 */
	u64 rsp;	      /* 0x5d8 */
	u8 rsvd10[0x18];      /* 0x5e0 */
	u64 rax;	      /* 0x5f8 */
	u64 star;	      /* 0x600 */
	u64 lstar;	      /* 0x608 */
	u64 cstar;	      /* 0x610 */
	u64 sfmask;	      /* 0x618 */
	u64 kernel_gs_base;   /* 0x620 */
	u64 sysenter_cs;      /* 0x628 */
	u64 sysenter_esp;     /* 0x630 */
	u64 sysenter_eip;     /* 0x638 */
	u64 cr2;	      /* 0x640 */
	u8 rsvd11[0x20];      /* 0x648 */
	u64 g_pat;	      /* 0x668 */
	u8 rsvd12[0x990];     /* 0x670 */
} __packed;

_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");
_Static_assert(offsetof(struct vmcb, exitcode) == 0x70, "VMCB exitcode");
_Static_assert(offsetof(struct vmcb, eventinj) == 0xa8, "VMCB eventinj");
_Static_assert(offsetof(struct vmcb, nrip) == 0xc8, "VMCB nrip");
_Static_assert(offsetof(struct vmcb, es) == 0x400, "VMCB state area");
_Static_assert(offsetof(struct vmcb, cpl) == 0x4cb, "VMCB cpl");
_Static_assert(offsetof(struct vmcb, efer) == 0x4d0, "VMCB efer");
_Static_assert(offsetof(struct vmcb, cr4) == 0x548, "VMCB cr4");
_Static_assert(offsetof(struct vmcb, rip) == 0x578, "VMCB rip");
_Static_assert(offsetof(struct vmcb, rsp) == 0x5d8, "VMCB rsp");
_Static_assert(offsetof(struct vmcb, rax) == 0x5f8, "VMCB rax");
_Static_assert(offsetof(struct vmcb, cr2) == 0x640, "VMCB cr2");
_Static_assert(offsetof(struct vmcb, g_pat) == 0x668, "VMCB g_pat");

/* intercept1 (vector 3, APM 15.9 - 15.14) */
#define SVM_I1_INTR	BIT(0)
#define SVM_I1_NMI	BIT(1)
#define SVM_I1_SMI	BIT(2)
#define SVM_I1_INIT	BIT(3)
#define SVM_I1_VINTR	BIT(4)
#define SVM_I1_RDPMC	BIT(15)
#define SVM_I1_INVD	BIT(22)
#define SVM_I1_CPUID	BIT(18)
#define SVM_I1_IRET	BIT(20)
#define SVM_I1_INTN	BIT(21)
#define SVM_I1_HLT	BIT(24)
#define SVM_I1_IOIO	BIT(27)
#define SVM_I1_MSR	BIT(28)
#define SVM_I1_TASKSW	BIT(29)
#define SVM_I1_SHUTDOWN BIT(31)
/* intercept2 (vector 4) */
#define SVM_I2_VMRUN   BIT(0)
#define SVM_I2_VMMCALL BIT(1)
#define SVM_I2_VMLOAD  BIT(2)
#define SVM_I2_VMSAVE  BIT(3)
#define SVM_I2_STGI    BIT(4)
#define SVM_I2_CLGI    BIT(5)
#define SVM_I2_SKINIT  BIT(6)
#define SVM_I2_RDTSCP  BIT(7)
#define SVM_I2_ICEBP   BIT(8)
#define SVM_I2_MONITOR BIT(10)
#define SVM_I2_MWAIT   BIT(11)
#define SVM_I2_MWAIT_C BIT(12)
#define SVM_I2_XSETBV  BIT(13)
/* intercept_cr: reads of CRn at bit n, writes at bit 16 + n */
#define SVM_CR_READ(n)	BIT(n)
#define SVM_CR_WRITE(n) BIT(16 + (n))
/* intercept_dr: reads of DRn at bit n, writes at bit 16 + n (APM 15.8.1); DR0-DR7 */
#define SVM_DR_ALL 0x00ff00ffu
/* INVLPGA is in intercept1 */
#define SVM_I1_INVLPGA BIT(26)

/* Exit codes (appendix C). */
enum {
	SVM_EXIT_CR8_READ = 0x08,
	SVM_EXIT_CR0_WRITE = 0x10,
	SVM_EXIT_CR4_WRITE = 0x14,
	SVM_EXIT_CR8_WRITE = 0x18,
	SVM_EXIT_DR0_READ = 0x20,
	SVM_EXIT_DR0_WRITE = 0x30,
	SVM_EXIT_EXCP_BASE = 0x40,
	SVM_EXIT_INTR = 0x60,
	SVM_EXIT_NMI = 0x61,
	SVM_EXIT_SMI = 0x62,
	SVM_EXIT_INIT = 0x63,
	SVM_EXIT_VINTR = 0x64,
	SVM_EXIT_RDPMC = 0x6f,
	SVM_EXIT_CPUID = 0x72,
	SVM_EXIT_IRET = 0x74,
	SVM_EXIT_SWINT = 0x75,
	SVM_EXIT_INVD = 0x76,
	SVM_EXIT_HLT = 0x78,
	SVM_EXIT_INVLPGA = 0x7a,
	SVM_EXIT_IOIO = 0x7b,
	SVM_EXIT_MSR = 0x7c,
	SVM_EXIT_TASK_SWITCH = 0x7d,
	SVM_EXIT_SHUTDOWN = 0x7f,
	SVM_EXIT_VMRUN = 0x80,
	SVM_EXIT_VMMCALL = 0x81,
	SVM_EXIT_VMLOAD = 0x82,
	SVM_EXIT_VMSAVE = 0x83,
	SVM_EXIT_STGI = 0x84,
	SVM_EXIT_CLGI = 0x85,
	SVM_EXIT_SKINIT = 0x86,
	SVM_EXIT_RDTSCP = 0x87,
	SVM_EXIT_ICEBP = 0x88,
	SVM_EXIT_MONITOR = 0x8a,
	SVM_EXIT_MWAIT = 0x8b,
	SVM_EXIT_MWAIT_COND = 0x8c,
	SVM_EXIT_XSETBV = 0x8d,
	SVM_EXIT_NPF = 0x400,
	SVM_EXIT_MAX = 0x400,
	SVM_EXIT_INVALID = -1,
};

/* IOIO EXITINFO1 (APM 15.10.2) */
#define IOIO_IN		BIT(0)
#define IOIO_STR	BIT(2)
#define IOIO_REP	BIT(3)
#define IOIO_SZ_SHIFT	4 /* bits 6:4: 8, 16, 32 */
#define IOIO_A_SHIFT	7 /* bits 9:7: 16-, 32-, 64-bit address */
#define IOIO_PORT_SHIFT 16

/* NPF EXITINFO1: a #PF-style error code (APM 15.25.6) */
#define NPF_WRITE BIT(1)
#define NPF_FETCH BIT(4)

/* EVENTINJ / EXITINTINFO (APM 15.20) */
#define EVENT_VALID	BIT(31)
#define EVENT_HAS_ERROR BIT(11)

/* V_INTR fields of vintr (APM 15.21.4) */
#define VINTR_TPR     0xfull /* V_TPR: CR8 */
#define VINTR_IRQ     BIT(8)
#define VINTR_IGN_TPR BIT(20)
#define VINTR_MASKING BIT(24)

/* TLB_CONTROL */
#define TLB_FLUSH_NONE 0
#define TLB_FLUSH_ALL  1

#define MSR_VM_CR	0xc0010114
#define MSR_VM_HSAVE_PA 0xc0010117

#endif
