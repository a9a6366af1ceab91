/* VMCS field encodings, control bits and exit reasons (Intel SDM vol. 3, appendices A-C),
 * grouped as the manual groups them, and typed accessors that refuse a field of the wrong
 * width at compile time. */
#ifndef KEEL_VMCS_H
#define KEEL_VMCS_H

#include "kernel/types.h"

/* Encoding bits 14:13 give the width (SDM B.1): 0 16-bit, 1 64-bit, 2 32-bit, 3 natural. */
#define VMCS_WIDTH(f) (((f) >> 13) & 3)
enum { W16 = 0, W64 = 1, W32 = 2, WNAT = 3 };

enum vmcs_field {
	/* 16-bit control, guest and host state (B.1) */
	VPID = 0x0000,
	GUEST_ES_SEL = 0x0800,
	GUEST_CS_SEL = 0x0802,
	GUEST_SS_SEL = 0x0804,
	GUEST_DS_SEL = 0x0806,
	GUEST_FS_SEL = 0x0808,
	GUEST_GS_SEL = 0x080a,
	GUEST_LDTR_SEL = 0x080c,
	GUEST_TR_SEL = 0x080e,
	HOST_ES_SEL = 0x0c00,
	HOST_CS_SEL = 0x0c02,
	HOST_SS_SEL = 0x0c04,
	HOST_DS_SEL = 0x0c06,
	HOST_FS_SEL = 0x0c08,
	HOST_GS_SEL = 0x0c0a,
	HOST_TR_SEL = 0x0c0c,
	/* 64-bit (B.2) */
	IO_BITMAP_A = 0x2000,
	IO_BITMAP_B = 0x2002,
	MSR_BITMAP = 0x2004,
	TSC_OFFSET = 0x2010,
	EPT_POINTER = 0x201a,
	GUEST_PHYS_ADDR = 0x2400,
	VMCS_LINK_PTR = 0x2800,
	GUEST_DEBUGCTL = 0x2802,
	GUEST_PAT = 0x2804,
	GUEST_EFER = 0x2806,
	GUEST_PDPTE0 = 0x280a,
	GUEST_PDPTE1 = 0x280c,
	GUEST_PDPTE2 = 0x280e,
	GUEST_PDPTE3 = 0x2810,
	HOST_PAT = 0x2c00,
	HOST_EFER = 0x2c02,
	/* 32-bit (B.3) */
	PIN_CTLS = 0x4000,
	PROC_CTLS = 0x4002,
	EXC_BITMAP = 0x4004,
	PF_ERR_MASK = 0x4006,
	PF_ERR_MATCH = 0x4008,
	CR3_TARGET_COUNT = 0x400a,
	EXIT_CTLS = 0x400c,
	EXIT_MSR_STORE_COUNT = 0x400e,
	EXIT_MSR_LOAD_COUNT = 0x4010,
	ENTRY_CTLS = 0x4012,
	ENTRY_MSR_LOAD_COUNT = 0x4014,
	ENTRY_INTR_INFO = 0x4016,
	ENTRY_EXC_ERROR = 0x4018,
	ENTRY_INSN_LEN = 0x401a,
	TPR_THRESHOLD = 0x401c,
	PROC_CTLS2 = 0x401e,
	VM_INSN_ERROR = 0x4400,
	EXIT_REASON = 0x4402,
	EXIT_INTR_INFO = 0x4404,
	EXIT_INTR_ERROR = 0x4406,
	IDT_VECT_INFO = 0x4408,
	IDT_VECT_ERROR = 0x440a,
	EXIT_INSN_LEN = 0x440c,
	EXIT_INSN_INFO = 0x440e,
	GUEST_ES_LIMIT = 0x4800,
	GUEST_CS_LIMIT = 0x4802,
	GUEST_SS_LIMIT = 0x4804,
	GUEST_DS_LIMIT = 0x4806,
	GUEST_FS_LIMIT = 0x4808,
	GUEST_GS_LIMIT = 0x480a,
	GUEST_LDTR_LIMIT = 0x480c,
	GUEST_TR_LIMIT = 0x480e,
	GUEST_GDTR_LIMIT = 0x4810,
	GUEST_IDTR_LIMIT = 0x4812,
	GUEST_ES_AR = 0x4814,
	GUEST_CS_AR = 0x4816,
	GUEST_SS_AR = 0x4818,
	GUEST_DS_AR = 0x481a,
	GUEST_FS_AR = 0x481c,
	GUEST_GS_AR = 0x481e,
	GUEST_LDTR_AR = 0x4820,
	GUEST_TR_AR = 0x4822,
	GUEST_INTERRUPTIBILITY = 0x4824,
	GUEST_ACTIVITY = 0x4826,
	GUEST_SYSENTER_CS = 0x482a,
	PREEMPT_TIMER = 0x482e,
	HOST_SYSENTER_CS = 0x4c00,
	/* natural width (B.4) */
	CR0_MASK = 0x6000,
	CR4_MASK = 0x6002,
	CR0_SHADOW = 0x6004,
	CR4_SHADOW = 0x6006,
	EXIT_QUAL = 0x6400,
	GUEST_LINEAR_ADDR = 0x640a,
	GUEST_CR0 = 0x6800,
	GUEST_CR3 = 0x6802,
	GUEST_CR4 = 0x6804,
	GUEST_ES_BASE = 0x6806,
	GUEST_CS_BASE = 0x6808,
	GUEST_SS_BASE = 0x680a,
	GUEST_DS_BASE = 0x680c,
	GUEST_FS_BASE = 0x680e,
	GUEST_GS_BASE = 0x6810,
	GUEST_LDTR_BASE = 0x6812,
	GUEST_TR_BASE = 0x6814,
	GUEST_GDTR_BASE = 0x6816,
	GUEST_IDTR_BASE = 0x6818,
	GUEST_DR7 = 0x681a,
	GUEST_RSP = 0x681c,
	GUEST_RIP = 0x681e,
	GUEST_RFLAGS = 0x6820,
	GUEST_PENDING_DBG = 0x6822,
	GUEST_SYSENTER_ESP = 0x6824,
	GUEST_SYSENTER_EIP = 0x6826,
	HOST_CR0 = 0x6c00,
	HOST_CR3 = 0x6c02,
	HOST_CR4 = 0x6c04,
	HOST_FS_BASE = 0x6c06,
	HOST_GS_BASE = 0x6c08,
	HOST_TR_BASE = 0x6c0a,
	HOST_GDTR_BASE = 0x6c0c,
	HOST_IDTR_BASE = 0x6c0e,
	HOST_SYSENTER_ESP = 0x6c10,
	HOST_SYSENTER_EIP = 0x6c12,
	HOST_RSP = 0x6c14,
	HOST_RIP = 0x6c16,
};

/* Pin-based controls (SDM 24.6.1) */
#define PIN_EXT_INTR	  BIT(0)
#define PIN_NMI		  BIT(3)
#define PIN_VIRTUAL_NMI	  BIT(5)
#define PIN_PREEMPT_TIMER BIT(6)
/* Primary processor-based controls (24.6.2) */
#define PROC_INTR_WINDOW BIT(2)
#define PROC_HLT	 BIT(7)
#define PROC_INVLPG	 BIT(9)
#define PROC_MWAIT	 BIT(10)
#define PROC_RDPMC	 BIT(11)
#define PROC_RDTSC	 BIT(12)
#define PROC_CR3_LOAD	 BIT(15)
#define PROC_CR3_STORE	 BIT(16)
#define PROC_CR8_LOAD	 BIT(19)
#define PROC_CR8_STORE	 BIT(20)
#define PROC_MOV_DR	 BIT(23)
#define PROC_UNCOND_IO	 BIT(24)
#define PROC_IO_BITMAPS	 BIT(25)
#define PROC_MSR_BITMAPS BIT(28)
#define PROC_MONITOR	 BIT(29)
#define PROC_SECONDARY	 BIT(31)
/* Secondary processor-based controls */
#define PROC2_EPT	   BIT(1)
#define PROC2_RDTSCP	   BIT(3)
#define PROC2_VPID	   BIT(5)
#define PROC2_UNRESTRICTED BIT(7)
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
	VMX_EXIT_CPUID = 10,
	VMX_EXIT_GETSEC = 11,
	VMX_EXIT_HLT = 12,
	VMX_EXIT_INVD = 13,
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
	VMX_EXIT_IO = 30,
	VMX_EXIT_RDMSR = 31,
	VMX_EXIT_WRMSR = 32,
	VMX_EXIT_BAD_GUEST_STATE = 33,
	VMX_EXIT_BAD_MSR_LOAD = 34,
	VMX_EXIT_MWAIT = 36,
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
