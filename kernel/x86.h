/* Thin wrappers around x86 instructions that C cannot express. Hardware access only: pure logic
 * never includes this file, so the host unit tests never see inline assembly. */
#ifndef KEEL_X86_H
#define KEEL_X86_H

#include "lib/types.h"

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(u16 port, u16 v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline u16 inw(u16 port)
{
	u16 v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline u32 inl(u16 port)
{
	u32 v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

#define DEFINE_CR(n)                                                     \
	static inline u64 read_cr##n(void)                               \
	{                                                                \
		u64 v;                                                   \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));        \
		return v;                                                \
	}                                                                \
	static inline void write_cr##n(u64 v)                            \
	{                                                                \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
DEFINE_CR(8)
#undef DEFINE_CR

/* The debug registers (SDM 17.2). keel sets no breakpoint of its own: guests' values pass
 * through them, switched by the scheduler (DR0-DR3) and the backends (DR6, DR7). */
#define DEFINE_DR(n)                                                     \
	static inline u64 read_dr##n(void)                               \
	{                                                                \
		u64 v;                                                   \
		__asm__ volatile("mov %%db" #n ", %0" : "=r"(v));        \
		return v;                                                \
	}                                                                \
	static inline void write_dr##n(u64 v)                            \
	{                                                                \
		__asm__ volatile("mov %0, %%db" #n ::"r"(v) : "memory"); \
	}
DEFINE_DR(0)
DEFINE_DR(1)
DEFINE_DR(2)
DEFINE_DR(3)
DEFINE_DR(6)
#undef DEFINE_DR

static inline u64 read_rflags(void)
{
	u64 v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}
static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}
static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}
static inline void hlt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}
static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}
static inline void invlpg(u64 va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}
static inline void fxsave(void *area)
{
	__asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}
static inline void fxrstor(const void *area)
{
	__asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}
/* XSAVE and kin (SDM vol. 1 13.7-13.8): the components in EDX:EAX, the area 64-byte aligned. */
static inline void xsave(void *area, u64 mask)
{
	__asm__ volatile("xsave64 (%0)" ::"r"(area), "a"((u32)mask), "d"((u32)(mask >> 32))
			 : "memory");
}
static inline void xrstor(const void *area, u64 mask)
{
	__asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"((u32)mask), "d"((u32)(mask >> 32))
			 : "memory");
}
/* XCR0, the one extended control register (SDM vol. 1 13.3); needs CR4.OSXSAVE. */
static inline u64 xgetbv(u32 xcr)
{
	u32 lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
	return ((u64)hi << 32) | lo;
}
static inline void xsetbv(u32 xcr, u64 v)
{
	__asm__ volatile("xsetbv" ::"c"(xcr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}
static inline void io_delay(void)
{
	outb(0x80, 0); /* POST port: a write takes about 1 us on PC hardware */
}

/* MSRs keel itself touches (SDM vol. 4, AMD APM vol. 2 appendix A). */
#define MSR_APIC_BASE	    0x0000001b
#define MSR_FEATURE_CONTROL 0x0000003a
#define MSR_TSC_AUX	    0xc0000103
#define MSR_EFER	    0xc0000080
#define MSR_STAR	    0xc0000081
#define MSR_LSTAR	    0xc0000082
#define MSR_CSTAR	    0xc0000083
#define MSR_SFMASK	    0xc0000084
#define MSR_FS_BASE	    0xc0000100
#define MSR_GS_BASE	    0xc0000101
#define MSR_KERNEL_GS_BASE  0xc0000102
#define MSR_PAT		    0x00000277
#define MSR_SPEC_CTRL	    0x00000048
#define MSR_PRED_CMD	    0x00000049

#define EFER_SCE  BIT(0)
#define EFER_LME  BIT(8)
#define EFER_LMA  BIT(10)
#define EFER_NXE  BIT(11)
#define EFER_SVME BIT(12)

#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_EM BIT(2)
#define CR0_TS BIT(3)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_AM BIT(18)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)

#define CR4_VME	       BIT(0)
#define CR4_PVI	       BIT(1)
#define CR4_TSD	       BIT(2)
#define CR4_DE	       BIT(3)
#define CR4_PSE	       BIT(4)
#define CR4_PAE	       BIT(5)
#define CR4_MCE	       BIT(6)
#define CR4_PGE	       BIT(7)
#define CR4_PCE	       BIT(8)
#define CR4_OSFXSR     BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_UMIP       BIT(11)
#define CR4_LA57       BIT(12)
#define CR4_VMXE       BIT(13)
#define CR4_SMXE       BIT(14)
#define CR4_FSGSBASE   BIT(16)
#define CR4_PCIDE      BIT(17)
#define CR4_OSXSAVE    BIT(18)
#define CR4_SMEP       BIT(20)
#define CR4_SMAP       BIT(21)
#define CR4_PKE	       BIT(22)

/* XCR0's state components (SDM vol. 1 13.1): x87, SSE, AVX (YMM upper halves), the three
 * AVX-512 ones, PKRU. */
#define XCR0_X87    BIT(0)
#define XCR0_SSE    BIT(1)
#define XCR0_AVX    BIT(2)
#define XCR0_AVX512 (BIT(5) | BIT(6) | BIT(7))
#define XCR0_PKRU   BIT(9)

#define RFLAGS_CF    BIT(0)
#define RFLAGS_FIXED BIT(1)
#define RFLAGS_PF    BIT(2)
#define RFLAGS_AF    BIT(4)
#define RFLAGS_ZF    BIT(6)
#define RFLAGS_SF    BIT(7)
#define RFLAGS_TF    BIT(8)
#define RFLAGS_IF    BIT(9)
#define RFLAGS_DF    BIT(10)
#define RFLAGS_OF    BIT(11)
#define RFLAGS_IOPL  (3ull << 12)
#define RFLAGS_NT    BIT(14)
#define RFLAGS_RF    BIT(16)
#define RFLAGS_VM    BIT(17)
#define RFLAGS_AC    BIT(18)
#define RFLAGS_VIF   BIT(19)
#define RFLAGS_VIP   BIT(20)
#define RFLAGS_ID    BIT(21)

/* Exception vectors (SDM 6.3.1). */
enum {
	X86_DE = 0,
	X86_DB = 1,
	X86_NMI = 2,
	X86_BP = 3,
	X86_OF = 4,
	X86_BR = 5,
	X86_UD = 6,
	X86_NM = 7,
	X86_DF = 8,
	X86_TS = 10,
	X86_NP = 11,
	X86_SS = 12,
	X86_GP = 13,
	X86_PF = 14,
	X86_MF = 16,
	X86_AC = 17,
	X86_MC = 18,
	X86_XM = 19,
	X86_VE = 20,
	X86_CP = 21,
};

#endif
