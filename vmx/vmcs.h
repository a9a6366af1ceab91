/* VMCS field encodings, control bits and exit reasons (Intel SDM vol. 3, appendices A-C),
 * grouped as the manual groups them, and typed accessors that refuse a field of the wrong
 * width at compile time. */
#ifndef KEEL_VMCS_H
#define KEEL_VMCS_H

#include "lib/types.h"

/* Encoding bits 14:13 give the width (SDM B.1): 0 16-bit, 1 64-bit, 2 32-bit, 3 natural. */
#define VMCS_WIDTH(f) (((f) >> 13) & 3)
enum { W16 = 0, W64 = 1, W32 = 2, WNAT = 3 };

enum vmcs_field {
	/* 16-bit control, guest and host state (B.1) */
	VMCS_VPID = 0x0000,
	VMCS_GUEST_ES_SEL = 0x0800,
	VMCS_GUEST_CS_SEL = 0x0802,
	VMCS_GUEST_SS_SEL = 0x0804,
	VMCS_GUEST_DS_SEL = 0x0806,
	VMCS_GUEST_FS_SEL = 0x0808,
	VMCS_GUEST_GS_SEL = 0x080a,
	VMCS_GUEST_LDTR_SEL = 0x080c,
	VMCS_GUEST_TR_SEL = 0x080e,
	VMCS_HOST_ES_SEL = 0x0c00,
	VMCS_HOST_CS_SEL = 0x0c02,
	VMCS_HOST_SS_SEL = 0x0c04,
	VMCS_HOST_DS_SEL = 0x0c06,
	VMCS_HOST_FS_SEL = 0x0c08,
	VMCS_HOST_GS_SEL = 0x0c0a,
	VMCS_HOST_TR_SEL = 0x0c0c,
	/* 64-bit (B.2) */
	VMCS_IO_BITMAP_A = 0x2000,
	VMCS_IO_BITMAP_B = 0x2002,
	VMCS_MSR_BITMAP = 0x2004,
	VMCS_TSC_OFFSET = 0x2010,
	VMCS_EPT_POINTER = 0x201a,
	VMCS_GUEST_PHYS_ADDR = 0x2400,
	VMCS_LINK_PTR = 0x2800,
	VMCS_GUEST_DEBUGCTL = 0x2802,
	VMCS_GUEST_PAT = 0x2804,
	VMCS_GUEST_EFER = 0x2806,
	VMCS_GUEST_PDPTE0 = 0x280a,
	VMCS_GUEST_PDPTE1 = 0x280c,
	VMCS_GUEST_PDPTE2 = 0x280e,
	VMCS_GUEST_PDPTE3 = 0x2810,
	VMCS_HOST_PAT = 0x2c00,
	VMCS_HOST_EFER = 0x2c02,
	/* 32-bit (B.3) */
	VMCS_PIN_CTLS = 0x4000,
	VMCS_PROC_CTLS = 0x4002,
	VMCS_EXC_BITMAP = 0x4004,
	VMCS_PF_ERR_MASK = 0x4006,
	VMCS_PF_ERR_MATCH = 0x4008,
	VMCS_CR3_TARGET_COUNT = 0x400a,
	VMCS_EXIT_CTLS = 0x400c,
	VMCS_EXIT_MSR_STORE_COUNT = 0x400e,
	VMCS_EXIT_MSR_LOAD_COUNT = 0x4010,
	VMCS_ENTRY_CTLS = 0x4012,
	VMCS_ENTRY_MSR_LOAD_COUNT = 0x4014,
	VMCS_ENTRY_INTR_INFO = 0x4016,
	VMCS_ENTRY_EXC_ERROR = 0x4018,
	VMCS_ENTRY_INSN_LEN = 0x401a,
	VMCS_TPR_THRESHOLD = 0x401c,
	VMCS_PROC_CTLS2 = 0x401e,
	VMCS_VM_INSN_ERROR = 0x4400,
	VMCS_EXIT_REASON = 0x4402,
	VMCS_EXIT_INTR_INFO = 0x4404,
	VMCS_EXIT_INTR_ERROR = 0x4406,
	VMCS_IDT_VECT_INFO = 0x4408,
	VMCS_IDT_VECT_ERROR = 0x440a,
	VMCS_EXIT_INSN_LEN = 0x440c,
	VMCS_EXIT_INSN_INFO = 0x440e,
	VMCS_GUEST_ES_LIMIT = 0x4800,
	VMCS_GUEST_CS_LIMIT = 0x4802,
	VMCS_GUEST_SS_LIMIT = 0x4804,
	VMCS_GUEST_DS_LIMIT = 0x4806,
	VMCS_GUEST_FS_LIMIT = 0x4808,
	VMCS_GUEST_GS_LIMIT = 0x480a,
	VMCS_GUEST_LDTR_LIMIT = 0x480c,
	VMCS_GUEST_TR_LIMIT = 0x480e,
	VMCS_GUEST_GDTR_LIMIT = 0x4810,
	VMCS_GUEST_IDTR_LIMIT = 0x4812,
	VMCS_GUEST_ES_AR = 0x4814,
	VMCS_GUEST_CS_AR = 0x4816,
	VMCS_GUEST_SS_AR = 0x4818,
	VMCS_GUEST_DS_AR = 0x481a,
	VMCS_GUEST_FS_AR = 0x481c,
	VMCS_GUEST_GS_AR = 0x481e,
	VMCS_GUEST_LDTR_AR = 0x4820,
	VMCS_GUEST_TR_AR = 0x4822,
	VMCS_GUEST_INTERRUPTIBILITY = 0x4824,
	VMCS_GUEST_ACTIVITY = 0x4826,
	VMCS_GUEST_SYSENTER_CS = 0x482a,
	VMCS_PREEMPT_TIMER = 0x482e,
	VMCS_HOST_SYSENTER_CS = 0x4c00,
	/* natural width (B.4) */
	VMCS_CR0_MASK = 0x6000,
	VMCS_CR4_MASK = 0x6002,
	VMCS_CR0_SHADOW = 0x6004,
	VMCS_CR4_SHADOW = 0x6006,
	VMCS_EXIT_QUAL = 0x6400,
	VMCS_GUEST_LINEAR_ADDR = 0x640a,
	VMCS_GUEST_CR0 = 0x6800,
	VMCS_GUEST_CR3 = 0x6802,
	VMCS_GUEST_CR4 = 0x6804,
	VMCS_GUEST_ES_BASE = 0x6806,
	VMCS_GUEST_CS_BASE = 0x6808,
	VMCS_GUEST_SS_BASE = 0x680a,
	VMCS_GUEST_DS_BASE = 0x680c,
	VMCS_GUEST_FS_BASE = 0x680e,
	VMCS_GUEST_GS_BASE = 0x6810,
	VMCS_GUEST_LDTR_BASE = 0x6812,
	VMCS_GUEST_TR_BASE = 0x6814,
	VMCS_GUEST_GDTR_BASE = 0x6816,
	VMCS_GUEST_IDTR_BASE = 0x6818,
	VMCS_GUEST_DR7 = 0x681a,
	VMCS_GUEST_RSP = 0x681c,
	VMCS_GUEST_RIP = 0x681e,
	VMCS_GUEST_RFLAGS = 0x6820,
	VMCS_GUEST_PENDING_DBG = 0x6822,
	VMCS_GUEST_SYSENTER_ESP = 0x6824,
	VMCS_GUEST_SYSENTER_EIP = 0x6826,
	VMCS_HOST_CR0 = 0x6c00,
	VMCS_HOST_CR3 = 0x6c02,
	VMCS_HOST_CR4 = 0x6c04,
	VMCS_HOST_FS_BASE = 0x6c06,
	VMCS_HOST_GS_BASE = 0x6c08,
	VMCS_HOST_TR_BASE = 0x6c0a,
	VMCS_HOST_GDTR_BASE = 0x6c0c,
	VMCS_HOST_IDTR_BASE = 0x6c0e,
	VMCS_HOST_SYSENTER_ESP = 0x6c10,
	VMCS_HOST_SYSENTER_EIP = 0x6c12,
	VMCS_HOST_RSP = 0x6c14,
	VMCS_HOST_RIP = 0x6c16,
};

/* Pin-based controls (SDM 24.6.1) */
#define PIN_EXT_INTR	  BIT(0)
#define PIN_NMI		  BIT(3)
#define PIN_VIRTUAL_NMI	  BIT(5)
#define PIN_PREEMPT_TIMER BIT(6)
/* Primary processor-based controls (24.6.2) */
#define PROC_INTR_WINDOW BIT(2)
#define PROC_TSC_OFFSET	 BIT(3)
#define PROC_HLT	 BIT(7)
#define PROC_INVLPG	 BIT(9)
#define PROC_MWAIT	 BIT(10)
#define PROC_RDPMC	 BIT(11)
#define PROC_RDTSC	 BIT(12)
#define PROC_CR3_LOAD	 BIT(15)
#define PROC_CR3_STORE	 BIT(16)
#define PROC_CR8_LOAD	 BIT(19)
#define PROC_CR8_STORE	 BIT(20)
#define PROC_NMI_WINDOW	 BIT(22)
#define PROC_MOV_DR	 BIT(23)
#define PROC_UNCOND_IO	 BIT(24)
#define PROC_IO_BITMAPS	 BIT(25)
#define PROC_MTF	 BIT(27)
#define PROC_MSR_BITMAPS BIT(28)
#define PROC_MONITOR	 BIT(29)
#define PROC_SECONDARY	 BIT(31)
/* Secondary processor-based controls */
#define PROC2_EPT	   BIT(1)
#define PROC2_RDTSCP	   BIT(3)
#define PROC2_VPID	   BIT(5)
#define PROC2_UNRESTRICTED BIT(7)
#define PROC2_INVPCID	   BIT(12)
/* VM-exit controls (24.7.1) */
#define EXIT_SAVE_DEBUG	  BIT(2)
#define EXIT_HOST_64	  BIT(9)
#define EXIT_SAVE_PAT	  BIT(18)
#define EXIT_LOAD_PAT	  BIT(19)
#define EXIT_SAVE_EFER	  BIT(20)
#define EXIT_LOAD_EFER	  BIT(21)
#define EXIT_SAVE_PREEMPT BIT(22)
/* VM-entry controls (24.8.1) */
#define ENTRY_LOAD_DEBUG BIT(2)
#define ENTRY_IA32E	 BIT(9)
#define ENTRY_LOAD_PAT	 BIT(14)
#define ENTRY_LOAD_EFER	 BIT(15)

/* Capability MSRs (appendix A) */
#define MSR_VMX_BASIC	     0x480
#define MSR_VMX_PIN	     0x481
#define MSR_VMX_PROC	     0x482
#define MSR_VMX_EXIT	     0x483
#define MSR_VMX_ENTRY	     0x484
#define MSR_VMX_MISC	     0x485
#define MSR_VMX_CR0_FIXED0   0x486
#define MSR_VMX_CR0_FIXED1   0x487
#define MSR_VMX_CR4_FIXED0   0x488
#define MSR_VMX_CR4_FIXED1   0x489
#define MSR_VMX_PROC2	     0x48b
#define MSR_VMX_EPT_VPID_CAP 0x48c
#define MSR_VMX_TRUE_PIN     0x48d
#define MSR_VMX_TRUE_PROC    0x48e
#define MSR_VMX_TRUE_EXIT    0x48f
#define MSR_VMX_TRUE_ENTRY   0x490

/* Basic exit reasons (appendix C) */
enum {
	VMX_EXIT_EXCEPTION = 0,
	VMX_EXIT_EXT_INTR = 1,
	VMX_EXIT_TRIPLE_FAULT = 2,
	VMX_EXIT_INIT = 3,
	VMX_EXIT_SIPI = 4,
	VMX_EXIT_INTR_WINDOW = 7,
	VMX_EXIT_NMI_WINDOW = 8,
	VMX_EXIT_TASK_SWITCH = 9,
	VMX_EXIT_CPUID = 10,
	VMX_EXIT_GETSEC = 11,
	VMX_EXIT_HLT = 12,
	VMX_EXIT_INVD = 13,
	VMX_EXIT_RDPMC = 15,
	VMX_EXIT_VMCALL = 18,
	VMX_EXIT_VMCLEAR = 19,
	VMX_EXIT_VMLAUNCH = 20,
	VMX_EXIT_VMPTRLD = 21,
	VMX_EXIT_VMPTRST = 22,
	VMX_EXIT_VMREAD = 23,
	VMX_EXIT_VMRESUME = 24,
	VMX_EXIT_VMWRITE = 25,
	VMX_EXIT_VMXOFF = 26,
	VMX_EXIT_VMXON = 27,
	VMX_EXIT_CR_ACCESS = 28,
	VMX_EXIT_DR_ACCESS = 29,
	VMX_EXIT_IO = 30,
	VMX_EXIT_RDMSR = 31,
	VMX_EXIT_WRMSR = 32,
	VMX_EXIT_BAD_GUEST_STATE = 33,
	VMX_EXIT_BAD_MSR_LOAD = 34,
	VMX_EXIT_MWAIT = 36,
	VMX_EXIT_MTF = 37,
	VMX_EXIT_MONITOR = 39,
	VMX_EXIT_MACHINE_CHECK = 41,
	VMX_EXIT_EPT_VIOLATION = 48,
	VMX_EXIT_EPT_MISCONFIG = 49,
	VMX_EXIT_INVEPT = 50,
	VMX_EXIT_PREEMPT_TIMER = 52,
	VMX_EXIT_INVVPID = 53,
	VMX_EXIT_XSETBV = 55,
	VMX_EXIT_VMFUNC = 59,
	VMX_EXIT_MAX = 64,
};
#define EXIT_REASON_ENTRY_FAIL BIT(31)

/* Interruption information (24.8.3, 24.9.2) */
#define INTR_INFO_VALID	    BIT(31)
#define INTR_INFO_HAS_ERROR BIT(11)
#define PENDING_DBG_BS	    BIT(14)	     /* a single-step trap is pending (SDM 24.4.2) */
#define INTR_INFO_TYPE(i)   (((i) >> 8) & 7) /* 2: NMI */
/* Guest interruptibility state (24.4.2) */
#define INTR_STI    BIT(0)
#define INTR_MOV_SS BIT(1)
#define INTR_NMI    BIT(3) /* blocking by NMI (virtual-NMI blocking with virtual NMIs) */

/* Access rights: bit 16 marks an unusable segment (24.4.1). */
#define AR_UNUSABLE BIT(16)

static inline u64 vmx_vmread(u64 field)
{
	u64 v;
	__asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(field) : "cc");
	return v;
}

static inline void vmx_vmwrite(u64 field, u64 v)
{
	__asm__ volatile("vmwrite %1, %0" ::"r"(field), "r"(v) : "cc", "memory");
}

/* Typed accessors: a field of another width is a compile-time error, as in KVM. */
#define VMCS_CHECK(f, w) _Static_assert(VMCS_WIDTH(f) == (w), #f " has another width")
#define vmcs_read16(f)               \
	({                           \
		VMCS_CHECK(f, W16);  \
		(u16) vmx_vmread(f); \
	})
#define vmcs_read32(f)               \
	({                           \
		VMCS_CHECK(f, W32);  \
		(u32) vmx_vmread(f); \
	})
#define vmcs_read64(f)              \
	({                          \
		VMCS_CHECK(f, W64); \
		vmx_vmread(f);      \
	})
#define vmcs_readn(f)                \
	({                           \
		VMCS_CHECK(f, WNAT); \
		vmx_vmread(f);       \
	})
#define vmcs_write16(f, v)                \
	({                                \
		VMCS_CHECK(f, W16);       \
		vmx_vmwrite(f, (u16)(v)); \
	})
#define vmcs_write32(f, v)                \
	({                                \
		VMCS_CHECK(f, W32);       \
		vmx_vmwrite(f, (u32)(v)); \
	})
#define vmcs_write64(f, v)                \
	({                                \
		VMCS_CHECK(f, W64);       \
		vmx_vmwrite(f, (u64)(v)); \
	})
#define vmcs_writen(f, v)                 \
	({                                \
		VMCS_CHECK(f, WNAT);      \
		vmx_vmwrite(f, (u64)(v)); \
	})

#endif
