/* Prefixed forms of every instruction keel intercepts and skips (issue 11, item 11): segment
 * overrides, 0x66, 0x67, REX and stacks of them before CPUID, RDMSR, WRMSR, the hypercall,
 * IN/OUT, INVD, HLT, MOV CR/DR, RDTSC, and the faulting XSETBV and VMRUN. Without NRIP-save
 * (QEMU's TCG) keel must find each length itself: a fixed length resumes inside the
 * instruction. Each form is followed by four INC EDI, which a correct resume runs all of; a
 * resume inside the instruction runs its last byte with the INCs as operands (EDI ends short)
 * or faults. Each result is checked too. */
#include "rt/apic.h"
#include "rt/trap.h"

#define SCRATCH 0x3ff /* the UART's scratch register: reads back what was written */
#define MSR_PAT 0x277
#define VEC	0x40

/* TRAP_TRY with prefix bytes pfx before insn and the landing INCs after it; EDI ("+D"(l),
 * which every use names) counts them. */
#define LAND "inc %%edi\n inc %%edi\n inc %%edi\n inc %%edi\n"
#define TRY(pfx, insn, ...)                                                         \
	({                                                                          \
		trap_vector = TRAP_NONE;                                            \
		__asm__ volatile("1: .byte " pfx "\n" insn "\n2:\n" LAND            \
				 ".pushsection extable, \"a\"\n"                    \
				 ".balign 4\n.long 1b, 2b\n.popsection" __VA_ARGS__ \
				 : "memory");                                       \
		trap_vector;                                                        \
	})

static u32 vendor_ebx;

/* CPUID leaf 0 behind each prefix stack: the vendor's EBX, and a landing of 4. */
#define CPUID(pfx)                                                                            \
	do {                                                                                  \
		u32 a = 0, b = 0, c = 0, d = 0, l = 0;                                        \
		u32 vec = TRY(pfx, "cpuid", : "+D"(l), "+a"(a), "=b"(b), "+c"(c), "=d"(d) :); \
		check(vec == TRAP_NONE && l == 4 && b == vendor_ebx,                          \
		      "cpuid behind %s: landed %u, ebx 0x%x", pfx, l, b);                     \
	} while (0)

static void cpuids(void)
{
	u32 r[4];
	cpuid(0, 0, r);
	vendor_ebx = r[1];
	CPUID("0x3e");
	CPUID("0x66");
	CPUID("0x67");
	CPUID("0x3e, 0x3e, 0x3e, 0x3e");
	CPUID("0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65");
	CPUID("0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0x26, 0x2e, 0x36, 0x3e, 0x64");
#if defined(__x86_64__)
	CPUID("0x48");
	CPUID("0x66, 0x3e, 0x41");
	CPUID("0x40, 0x40, 0x40, 0x4f");
#endif
}

/* RDMSR and WRMSR of PAT behind prefixes: the value reads back. */
static void msrs(void)
{
	u32 lo = 0, hi = 0, l = 0;
	u32 vec = TRY("0x3e", "rdmsr", : "+D"(l), "=a"(lo), "=d"(hi) : "c"(MSR_PAT));
	check(vec == TRAP_NONE && l == 4, "ds: rdmsr PAT: landed %u, 0x%x%08x", l, hi, lo);
	u32 lo2 = lo ^ 0x01000000u; /* PA3: write-through (4) instead of uncached-minus (7)... */
	l = 0;
	vec = TRY("0x2e, 0x66, 0x67", "wrmsr", : "+D"(l) : "c"(MSR_PAT), "a"(lo2), "d"(hi));
	check(vec == TRAP_NONE && l == 4, "cs: o16 a16 wrmsr PAT: landed %u", l);
	u32 lo3 = 0, hi3 = 0;
	l = 0;
	vec = TRY("0x64, 0x65", "rdmsr", : "+D"(l), "=a"(lo3), "=d"(hi3) : "c"(MSR_PAT));
	check(vec == TRAP_NONE && l == 4 && lo3 == lo2 && hi3 == hi,
	      "fs: gs: rdmsr PAT reads back 0x%x%08x", hi3, lo3);
	l = 0;
	TRY("0x3e", "wrmsr", : "+D"(l) : "c"(MSR_PAT), "a"(lo), "d"(hi));
}

/* The hypercall (VMMCALL on AMD, VMCALL on Intel): HC_VERSION returns the ABI, 1. */
static void hypercalls(void)
{
	uintptr_t ret = 0;
	u32 l = 0, vec;
	if (is_amd())
		vec = TRY("0x3e, 0x2e", "vmmcall", : "+D"(l), "+a"(ret) :);
	else
		vec = TRY("0x3e, 0x2e", "vmcall", : "+D"(l), "+a"(ret) :);
	// cppcheck-suppress incorrectLogicOperator ; it does not see the asm write l and ret
	check(vec == TRAP_NONE && l == 4 && ret == 1, "ds: cs: hypercall version: landed %u, %u", l,
	      (u32)ret);
}

/* IN and OUT (AMD-V gives their next RIP in EXITINFO2), INVD, RDTSC, MOV CR4 and DR0. */
static void others(void)
{
	u32 l = 0, vec;
	u8 al = 0x6b;
	vec = TRY("0x3e, 0x2e", "outb %%al, %%dx", : "+D"(l) : "a"(al), "d"(SCRATCH));
	check(vec == TRAP_NONE && l == 4 && inb(SCRATCH) == 0x6b, "ds: cs: out dx: landed %u", l);
	l = 0, al = 0;
	vec = TRY("0x26", "inb $0x80, %%al", : "+D"(l), "+a"(al) :);
	check(vec == TRAP_NONE && l == 4, "es: in imm8: landed %u", l);
	l = 0;
	vec = TRY("0x3e, 0x66", "invd", : "+D"(l) :);
	check(vec == TRAP_NONE && l == 4, "ds: o16 invd: landed %u", l);
	u32 lo, hi;
	l = 0;
	vec = TRY("0x3e", "rdtsc", : "+D"(l), "=a"(lo), "=d"(hi) :);
	check(vec == TRAP_NONE && l == 4, "ds: rdtsc: landed %u", l);
	uintptr_t cr4, dr = 0x1234;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	l = 0;
	vec = TRY("0x3e", "mov %1, %%cr4", : "+D"(l) : "a"(cr4));
	check(vec == TRAP_NONE && l == 4, "ds: mov to cr4: landed %u", l);
	l = 0;
	vec = TRY("0x3e", "mov %1, %%dr0", : "+D"(l) : "a"(dr));
	check(vec == TRAP_NONE && l == 4, "ds: mov to dr0: landed %u", l);
	dr = 0, l = 0;
	vec = TRY("0x2e", "mov %%dr0, %1", : "+D"(l), "=a"(dr) :);
	check(vec == TRAP_NONE && l == 4 && dr == 0x1234, "cs: mov from dr0: 0x%x", (u32)dr);
	__asm__ volatile("mov %0, %%dr0" ::"r"((uintptr_t)0));
}

/* Instructions that fault instead of completing: the fault is at the prefixes' start. */
static void faults(void)
{
	u32 l = 0, vec = TRY("0x3e, 0x66", "xsetbv", : "+D"(l) : "a"(0), "d"(0), "c"(0));
	check((vec == 6 || vec == 13) && l == 4, "ds: o16 xsetbv faults at its start: vector %u",
	      vec);
	l = 0;
	vec = TRY("0x3e", "vmrun", : "+D"(l) : "a"(0));
	check(vec == 6 && l == 4, "ds: vmrun raises #UD at its start: vector %u", vec);
}

static volatile u32 ticks;

void tick_isr(void);
void tick_isr(void)
{
	ticks++;
	apic_eoi();
}
IRQ_STUB(tick_stub, tick_isr);

/* HLT behind a prefix, woken by one one-shot timer tick: resumed at its last byte it would
 * halt again with no tick to come. */
static void halt(void)
{
	trap_set_gate(VEC, tick_stub, 0);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	apic_write(APIC_LVT_TIMER, VEC);
	apic_write(APIC_TMR_DIV, APIC_DIV_1);
	apic_write(APIC_TMR_INIT, (u32)(apic_timer_khz() * 20)); /* 20 ms */
	u32 l = 0;
	__asm__ volatile("sti\n .byte 0x3e, 0x2e\n hlt\n" LAND "cli" : "+D"(l)::"memory");
	check(l == 4 && ticks == 1, "sti; ds: cs: hlt wakes once and lands: %u, %u ticks", l,
	      ticks);
	apic_write(APIC_LVT_TIMER, VEC | APIC_LVT_MASKED);
}

int guest_main(void)
{
	trap_init();
	printf("prefix: %d-bit guest\n", (int)sizeof(void *) * 8);
	cpuids();
	msrs();
	hypercalls();
	others();
	faults();
	halt();
	return check_done();
}
