/* Conformance of the CPU features keel offers when the host has them (issue 13 item 6), each
 * used, not only seen in CPUID: PCID and INVPCID (SDM 4.10.1, vol. 2 INVPCID), SMEP and SMAP
 * (SDM 4.6, 4.7: the page-fault error codes), UMIP (SDM 2.5: SGDT at CPL 3 #GP), FSGSBASE
 * (vol. 2 RDFSBASE/WRGSBASE), RDRAND/RDSEED (CF=1 results), 1 GiB pages (SDM 4.5), and a
 * hardware breakpoint and watchpoint through DR0-DR7 (SDM 17.2, 17.3.1). A feature
 * CPUID does not offer is checked to be refused (#UD or #GP) and its use prints "SKIP: name:
 * why". 64-bit only: it builds its own mappings beside keel's identity map:
 *   1-2 GiB: one 1 GiB page over physical 0 (pdpt[1]);
 *   2-3 GiB: user pages over physical 0 (pdpt[2] -> user_pd), for SMEP and SMAP;
 *   3-3.002 GiB: one 2 MiB page whose frame INVPCID's check swaps (pdpt[3] -> swap_pd). */
#include "rt/trap.h"
#include "rt/user.h"

#define GP	   13
#define UD	   6
#define PF	   14
#define BIT(n)	   (1ull << (n))
#define GIB	   0x40000000ull
#define MIB2	   0x200000ull
#define PTE_P	   1ull
#define PTE_W	   2ull
#define PTE_U	   4ull
#define PTE_PS	   0x80ull
#define ADDR	   0x000ffffffffff000ull
#define CR4_UMIP   BIT(11)
#define CR4_FSGS   BIT(16)
#define CR4_PCIDE  BIT(17)
#define CR4_SMEP   BIT(20)
#define CR4_SMAP   BIT(21)
#define USER_ALIAS (2 * GIB) /* VA of physical 0 through user pages */
#define HEX(x)	   ((unsigned long long)(x))

static u32 r[4];
static u64 *pdpt;
static u64 user_pd[512] __attribute__((aligned(4096)));
static u64 swap_pd[512] __attribute__((aligned(4096)));
static volatile u64 marker = 0x1badb002c0ffee11ull;

static bool has(u32 leaf, u32 reg, u32 bit)
{
	cpuid(leaf, 0, r);
	return r[reg] & (1u << bit);
}

static void skip(const char *name, const char *why)
{
	printf("SKIP: %s: %s\n", name, why);
}

/* MOV to CR4; the vector it raised. */
static u32 cr4_try(u64 v)
{
	return TRAP_TRY("mov %0, %%cr4", ::"r"(v));
}

static u64 cr2_read(void)
{
	u64 v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

/* Whether CPUID offers the feature whose enable bit is cr4_bit (leaf, register, bit); where
 * not, setting the bit must #GP (SDM 2.5), and its use is skipped. */
static bool offered(const char *name, u32 leaf, u32 reg, u32 bit, u64 cr4_bit)
{
	static const char *const regs[] = {"EAX", "EBX", "ECX", "EDX"};
	if (has(leaf, reg, bit))
		return true;
	u32 vec = cr4_try(cr4_read() | cr4_bit);
	check(vec == GP, "CR4 bit for %s #GP: CPUID does not offer it (%u)", name, vec);
	printf("SKIP: %s: CPUID.%x:%s[%u] is clear\n", name, leaf, regs[reg], bit);
	return false;
}

/* A u64 load from a; the vector it raised, *out the value. */
static u32 load_try(uintptr_t a, u64 *out)
{
	u64 v = 0;
	u32 vec = TRAP_TRY("mov (%1), %0", : "+r"(v) : "r"(a));
	*out = v;
	return vec;
}

static u32 store_try(uintptr_t a, u64 v)
{
	return TRAP_TRY("mov %0, (%1)", ::"r"(v), "r"(a));
}

/* Keel's PDPT, and the three mappings above. */
static void map_init(void)
{
	u64 *pml4 = (u64 *)(uintptr_t)(cr3_read() & ADDR);
	pml4[0] |= PTE_U; /* U must be set at every level for a user page (SDM 4.6.1) */
	pdpt = (u64 *)(uintptr_t)(pml4[0] & ADDR);
	for (u64 i = 0; i < 512; i++)
		user_pd[i] = i * MIB2 | PTE_P | PTE_W | PTE_U | PTE_PS;
	pdpt[2] = (uintptr_t)user_pd | PTE_P | PTE_W | PTE_U;
	swap_pd[0] = PTE_P | PTE_W | PTE_PS;
	pdpt[3] = (uintptr_t)swap_pd | PTE_P | PTE_W;
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3_read()) : "memory");
}

/* A 1 GiB page (PDPTE.PS) maps physical 0 at 1 GiB, where 0x80000001:EDX[26] offers it. */
static void gib_pages(void)
{
	if (!has(0x80000001u, 3, 26)) {
		skip("1 GiB pages", "CPUID.80000001:EDX[26] is clear");
		return;
	}
	pdpt[1] = PTE_P | PTE_W | PTE_PS;
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3_read()) : "memory");
	u64 v;
	u32 vec = load_try(GIB + (uintptr_t)&marker, &v);
	check(vec == TRAP_NONE && v == marker, "1 GiB page: marker read through it (%u, 0x%llx)",
	      vec, HEX(v));
	marker ^= 1;
	check(load_try(GIB + (uintptr_t)&marker, &v) == TRAP_NONE && v == marker,
	      "1 GiB page: a change seen through it");
}

/* CR4.PCIDE: needs CR3[11:0] = 0; then CR3 carries a PCID, and bit 63 keeps the TLB. */
static void pcid(void)
{
	u64 cr4 = cr4_read(), cr3 = cr3_read();
	if (!offered("PCID", 1, 2, 17, CR4_PCIDE))
		return;
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3 | 1) : "memory"); /* bit 0 ignored: PCIDE=0 */
	u32 vec = cr4_try(cr4 | CR4_PCIDE);
	check(vec == GP, "CR4.PCIDE with CR3[11:0] = 1 #GP (%u)", vec);
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
	vec = cr4_try(cr4 | CR4_PCIDE);
	check(vec == TRAP_NONE && (cr4_read() & CR4_PCIDE), "CR4.PCIDE set (%u)", vec);
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3 | 5) : "memory");
	check((cr3_read() & 0xfff) == 5, "CR3 holds PCID 5 (0x%llx)", HEX(cr3_read()));
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3 | 5 | BIT(63)) : "memory");
	check(cr3_read() == (cr3 | 5), "CR3 no-flush write keeps PCID 5, bit 63 not stored");
	u64 v;
	check(load_try((uintptr_t)&marker, &v) == TRAP_NONE && v == marker,
	      "memory reads right under PCID 5");
}

/* INVPCID type with a descriptor {pcid, address}; the vector it raised. */
static u32 invpcid_try(u64 type, u64 pcid, u64 addr)
{
	u64 desc[2] __attribute__((aligned(16))) = {pcid, addr};
	return TRAP_TRY("invpcid %0, %1", ::"m"(desc), "r"(type));
}

/* INVPCID (with PCIDE on, under PCID 5 from pcid()): the four types, and a stale mapping
 * gone after a type-0 flush of its address. */
static void invpcid(void)
{
	bool pcide = cr4_read() & CR4_PCIDE;
	if (!has(7, 1, 10)) {
		check(invpcid_try(2, 0, 0) == UD, "INVPCID #UD without CPUID INVPCID");
		skip("INVPCID", "CPUID.7:EBX[10] is clear");
		return;
	}
	if (!pcide) {
		check(invpcid_try(1, 1, 0) == GP, "INVPCID type 1, PCID 1 with PCIDE off #GP");
		check(invpcid_try(2, 0, 0) == TRAP_NONE, "INVPCID type 2 with PCIDE off");
		skip("INVPCID with PCIDs", "no PCID");
		return;
	}
	u64 pcid5 = cr3_read() & 0xfff;
	u32 v0 = invpcid_try(0, pcid5, (uintptr_t)&marker), v1 = invpcid_try(1, pcid5, 0);
	u32 v2 = invpcid_try(2, 0, 0), v3 = invpcid_try(3, 0, 0);
	check(v0 == TRAP_NONE && v1 == TRAP_NONE && v2 == TRAP_NONE && v3 == TRAP_NONE,
	      "INVPCID types 0-3 run (%u %u %u %u)", v0, v1, v2, v3);
	check(invpcid_try(4, 0, 0) == GP, "INVPCID type 4 #GP");
	check(invpcid_try(1, 4096, 0) == GP, "INVPCID PCID 4096 #GP");
	check(invpcid_try(0, pcid5, BIT(63)) == GP, "INVPCID type 0, non-canonical address #GP");
	/* 3 GiB maps physical 0, then physical 2 MiB: the old translation is cached */
	static volatile u64 far_marker;
	far_marker = 0x5eed;
	*(volatile u64 *)((uintptr_t)&far_marker + MIB2) = 0xfa12;
	u64 va = 3 * GIB + (uintptr_t)&far_marker, v;
	load_try(va, &v);
	swap_pd[0] = MIB2 | PTE_P | PTE_W | PTE_PS;
	u32 vec = invpcid_try(0, pcid5, va);
	load_try(va, &v);
	check(vec == TRAP_NONE && v == 0xfa12, "after INVPCID type 0 the new frame shows (0x%llx)",
	      HEX(v));
	swap_pd[0] = PTE_P | PTE_W | PTE_PS;
	invpcid_try(0, pcid5, va);
}

/* Back to PCID 0 and PCIDE off, for the tests that follow. */
static void pcid_off(void)
{
	u64 cr3 = cr3_read() & ~0xfffull;
	if (!(cr4_read() & CR4_PCIDE))
		return;
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
	check(cr4_try(cr4_read() & ~CR4_PCIDE) == TRAP_NONE, "CR4.PCIDE cleared with PCID 0");
}

/* The SMEP target: user_target's alias at 2 GiB faults on the fetch, and the fault resumes
 * at smep_fixup, which returns to the caller (the call pushed the return address). */
void smep_target(void);
__asm__(".text\n.globl smep_target\nsmep_target: ret\nsmep_fixup: ret\n"
	".pushsection extable, \"a\"\n.balign 4\n"
	".long smep_target + 0x80000000, smep_fixup\n.popsection\n");

/* SMEP: a supervisor fetch from a user page #PF, error code P | I/D (0x11) (SDM 4.6.1). */
static void smep(void)
{
	u64 cr4 = cr4_read();
	if (!offered("SMEP", 7, 1, 7, CR4_SMEP))
		return;
	uintptr_t alias = USER_ALIAS + (uintptr_t)smep_target;
	trap_vector = TRAP_NONE;
	__asm__ volatile("call *%0" ::"r"(alias) : "memory");
	check(trap_vector == TRAP_NONE, "user page runs at CPL 0 with SMEP off");
	check(cr4_try(cr4 | CR4_SMEP) == TRAP_NONE, "CR4.SMEP set");
	__asm__ volatile("call *%0" ::"r"(alias) : "memory");
	u64 cr2 = cr2_read();
	check(trap_vector == PF && trap_error == 0x11 && cr2 == alias,
	      "SMEP: fetch from a user page #PF (vector %u, error 0x%llx, CR2 0x%llx)", trap_vector,
	      HEX(trap_error), HEX(cr2));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
}

/* SMAP: a supervisor data access to a user page #PF (error P, P|W) unless EFLAGS.AC (STAC);
 * CLAC clears it again (SDM 4.6.1). Without SMAP, STAC and CLAC #UD. */
static void smap(void)
{
	u64 cr4 = cr4_read(), v;
	uintptr_t alias = USER_ALIAS + (uintptr_t)&marker;
	if (!offered("SMAP", 7, 1, 20, CR4_SMAP)) {
		check(TRAP_TRY("stac", ::) == UD, "STAC #UD without CPUID SMAP");
		return;
	}
	check(cr4_try(cr4 | CR4_SMAP) == TRAP_NONE, "CR4.SMAP set");
	u32 vec = load_try(alias, &v);
	check(vec == PF && trap_error == 1 && cr2_read() == alias,
	      "SMAP: read of a user page #PF (vector %u, error 0x%llx)", vec, HEX(trap_error));
	vec = store_try(alias, 1);
	check(vec == PF && trap_error == 3,
	      "SMAP: write to a user page #PF (vector %u, error 0x%llx)", vec, HEX(trap_error));
	__asm__ volatile("stac");
	vec = load_try(alias, &v);
	check(vec == TRAP_NONE && v == marker, "SMAP: read allowed after STAC (%u)", vec);
	__asm__ volatile("clac");
	check(load_try(alias, &v) == PF, "SMAP: read faults again after CLAC");
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
}

/* FSGSBASE: with CR4.FSGSBASE, WRGSBASE/RDGSBASE and RDFSBASE work at any CPL; without it
 * they #UD. */
static void fsgsbase(void)
{
	u64 cr4 = cr4_read(), v = 0;
	if (!offered("FSGSBASE", 7, 1, 0, CR4_FSGS))
		return;
	check(TRAP_TRY("rdfsbase %0", : "=r"(v) :) == UD, "RDFSBASE #UD with CR4.FSGSBASE clear");
	check(cr4_try(cr4 | CR4_FSGS) == TRAP_NONE, "CR4.FSGSBASE set");
	u64 old = 0;
	__asm__ volatile("rdgsbase %0" : "=r"(old));
	__asm__ volatile("wrgsbase %0" ::"r"(0x123456789000ull));
	__asm__ volatile("rdgsbase %0" : "=r"(v));
	check(v == 0x123456789000ull, "WRGSBASE/RDGSBASE round-trip 0x%llx", HEX(v));
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000101u));
	check(((u64)hi << 32 | lo) == v, "IA32_GS_BASE agrees with RDGSBASE");
	__asm__ volatile("wrgsbase %0" ::"r"(old));
	u32 vec = TRAP_TRY("rdfsbase %0", : "=r"(v) :);
	check(vec == TRAP_NONE, "RDFSBASE runs (0x%llx)", HEX(v));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
}

/* RDRAND (or RDSEED) until CF=1 marks a valid result, a few tries at most (SDM vol. 1
 * 7.3.17); false if none came. */
static bool random_try(bool seed, u64 *v)
{
	for (int i = 0; i < 1000; i++) {
		u8 cf;
		if (seed)
			__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(cf));
		else
			__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(cf));
		if (cf)
			return true;
	}
	return false;
}

/* Two results with CF=1, and different (a repeat is a 2^-64 event). */
static void random_insn(const char *name, bool offered, bool seed, const char *why)
{
	u64 a = 0, b = 0;
	if (!offered) {
		skip(name, why);
		return;
	}
	bool ok = random_try(seed, &a) && random_try(seed, &b);
	check(ok && a != b, "%s: CF=1, two values differ (0x%llx 0x%llx)", name, HEX(a), HEX(b));
}

/* The instruction breakpoint's target (a fault: #DB before it runs, resumed after it) and the
 * watched store (a trap: #DB after it, resumed where it left off). */
void bp_insn(void);
void wp_store(void);
__asm__(".text\n.globl bp_insn\nbp_insn: nop\nbp_after: ret\n"
	".globl wp_store\nwp_store: movq $7, watched(%rip)\nwp_after: ret\n"
	".pushsection extable, \"a\"\n.balign 4\n"
	".long bp_insn, bp_after, wp_after, wp_after\n.popsection\n");
volatile u64 watched;

static u64 dr6_read(void)
{
	u64 v;
	__asm__ volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

/* DR0 on an instruction (R/W0 = 00, LEN0 = 00, L0) and DR1 on a u64 store (R/W1 = 01,
 * LEN1 = 10, L1): each raises #DB, and DR6 names the one that hit (B0, B1). */
static void debug_regs(void)
{
	__asm__ volatile("mov %0, %%dr6" ::"r"(0xffff0ff0ull));
	__asm__ volatile("mov %0, %%dr0" ::"r"((u64)(uintptr_t)bp_insn));
	__asm__ volatile("mov %0, %%dr1" ::"r"((u64)(uintptr_t)&watched));
	__asm__ volatile("mov %0, %%dr7" ::"r"(BIT(0) | BIT(2) | 1ull << 20 | 2ull << 22));
	trap_vector = TRAP_NONE;
	bp_insn();
	u64 dr6 = dr6_read();
	check(trap_vector == 1 && (dr6 & 0xf) == 1,
	      "DR0 instruction breakpoint: #DB (vector %u), DR6 0x%llx", trap_vector, HEX(dr6));
	__asm__ volatile("mov %0, %%dr6" ::"r"(0xffff0ff0ull));
	trap_vector = TRAP_NONE;
	wp_store();
	dr6 = dr6_read();
	check(trap_vector == 1 && (dr6 & 0xf) == 2 && watched == 7,
	      "DR1 write watchpoint: #DB after the store (vector %u), DR6 0x%llx", trap_vector,
	      HEX(dr6));
	__asm__ volatile("mov %0, %%dr7" ::"r"(0x400ull));
}

/* Run at CPL 3 by user_run(): SGDT, whose #GP under UMIP resumes at the INT 0x80. */
void user_sgdt(void);
__asm__(".text\nuser_sgdt: xor %eax, %eax\n1: sgdt sgdt_buf(%rip)\n2: int $0x80\n"
	".pushsection extable, \"a\"\n.balign 4\n.long 1b, 2b\n.popsection\n");
u8 sgdt_buf[16];

/* UMIP: SGDT at CPL 3 #GP(0) with CR4.UMIP, runs without it (SDM 2.5). Last: user_init()
 * makes the first GiB user-accessible. */
static void umip(void)
{
	u64 cr4 = cr4_read();
	if (!offered("UMIP", 7, 2, 2, CR4_UMIP))
		return;
	user_init();
	trap_vector = TRAP_NONE;
	user_run(user_sgdt);
	check(trap_vector == TRAP_NONE, "SGDT at CPL 3 runs with UMIP off");
	check(cr4_try(cr4 | CR4_UMIP) == TRAP_NONE, "CR4.UMIP set");
	user_run(user_sgdt);
	check(trap_vector == GP && trap_error == 0, "UMIP: SGDT at CPL 3 #GP(0) (vector %u)",
	      trap_vector);
	u8 gdtr[10];
	u32 vec = TRAP_TRY("sgdt %0", : "=m"(gdtr) :);
	check(vec == TRAP_NONE, "UMIP: SGDT at CPL 0 still runs (%u)", vec);
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
}

int guest_main(void)
{
	trap_init();
	map_init();
	debug_regs();
	gib_pages();
	pcid();
	invpcid();
	pcid_off();
	smep();
	smap();
	fsgsbase();
	random_insn("RDRAND", has(1, 2, 30), false, "CPUID.1:ECX[30] is clear");
	random_insn("RDSEED", has(7, 1, 18), true, "CPUID.7:EBX[18] is clear");
	umip();
	return check_done();
}
