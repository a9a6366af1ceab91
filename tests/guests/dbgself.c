/* The guest's own debug features (issue 16): INT3, a DR0 execution breakpoint, a DR1 write
 * watchpoint, a TF single step, and MOV to and from DR0-DR3/DR7, each from the SDM vol. 3
 * chapter 17. Run without a debugger it checks what keel leaves the guest; run with gdb
 * attached (keel then intercepts #BP, #DB and MOV DR) it checks that the guest still sees
 * its own (README "Debugging a guest"). */
#include "rt/trap.h"

#define RFL_TF	0x100u
#define DR6_B0	0x1u
#define DR6_B1	0x2u
#define DR6_BS	0x4000u
#define DR7_L0	0x1u
#define DR7_L1	0x4u
#define DR7_RST 0x400u
#if defined(__x86_64__)
#define SP "rsp"
#else
#define SP "esp"
#endif

/* What the recording gates saw: how many, the return address, DR6 then. */
volatile uintptr_t rec_ip, rec_dr6;
volatile u32 rec_count;

/* #DB and #BP gates: record, clear DR6 (the CPU never clears it: SDM 17.2.3), drop TF and set
 * RF in the frame (so a step ends there and an instruction breakpoint resumes past itself,
 * SDM 17.3.1.1), return. */
#if defined(__x86_64__)
#define DBG_STUB(name)                                                                \
	__asm__(".text\n.balign 16\n" #name ":\npush %rax\nincl rec_count(%rip)\n"    \
		"mov 8(%rsp), %rax\nmov %rax, rec_ip(%rip)\nmov %dr6, %rax\n"         \
		"mov %rax, rec_dr6(%rip)\nmov $0xffff0ff0, %eax\nmov %rax, %dr6\n"    \
		"andq $~0x100, 24(%rsp)\norq $0x10000, 24(%rsp)\npop %rax\niretq\n"); \
	void name(void)
#else
#define DBG_STUB(name)                                                                     \
	__asm__(".text\n.balign 16\n" #name ":\npush %eax\nincl rec_count\n"               \
		"mov 4(%esp), %eax\nmov %eax, rec_ip\nmov %dr6, %eax\nmov %eax, rec_dr6\n" \
		"mov $0xffff0ff0, %eax\nmov %eax, %dr6\n"                                  \
		"andl $~0x100, 12(%esp)\norl $0x10000, 12(%esp)\npop %eax\niret\n");       \
	void name(void)
#endif
DBG_STUB(rec_db);
DBG_STUB(rec_bp);

#define DR_GET(n)                                                  \
	({                                                         \
		uintptr_t v_;                                      \
		__asm__ volatile("mov %%dr" #n ", %0" : "=r"(v_)); \
		v_;                                                \
	})
#define DR_SET(n, v) __asm__ volatile("mov %0, %%dr" #n ::"r"((uintptr_t)(v)) : "memory")

static void reset(void)
{
	rec_count = 0, rec_ip = 0, rec_dr6 = 0;
}

/* INT3 is a trap: the handler sees the address after it (SDM 6.5, 17.3.2). */
static void int3(void)
{
	extern const char after_int3[];
	reset();
	__asm__ volatile("int3\n.globl after_int3\nafter_int3:" ::: "memory");
	check(rec_count == 1 && rec_ip == (uintptr_t)after_int3,
	      "#BP: int3 reaches its handler with ip after it (%u, ip %p)", rec_count,
	      (void *)rec_ip);
}

/* An execution breakpoint in DR0 is a fault before the instruction, B0 set (SDM 17.3.1.1). */
static void exec_bp(void)
{
	extern const char bp_target[];
	reset();
	DR_SET(0, bp_target);
	DR_SET(7, DR7_RST | DR7_L0); /* R/W0 00, LEN0 00: execution */
	__asm__ volatile(".globl bp_target\nbp_target: nop" ::: "memory");
	DR_SET(7, DR7_RST);
	check(rec_count == 1 && rec_ip == (uintptr_t)bp_target && (rec_dr6 & DR6_B0),
	      "#DB: DR0 execution breakpoint (%u, ip %p, dr6 %x)", rec_count, (void *)rec_ip,
	      (u32)rec_dr6);
}

static volatile u32 watched __attribute__((aligned(8)));

/* A write watchpoint in DR1 is a trap after the write, B1 set (SDM 17.3.1.2). */
static void write_watch(void)
{
	reset();
	DR_SET(1, &watched);
	DR_SET(7, DR7_RST | DR7_L1 | (1u << 20) | (3u << 22)); /* R/W1 01 write, LEN1 11 */
	watched = 5;
	DR_SET(7, DR7_RST);
	check(rec_count == 1 && (rec_dr6 & DR6_B1) && watched == 5,
	      "#DB: DR1 write watchpoint (%u, dr6 %x)", rec_count, (u32)rec_dr6);
}

/* TF set by POPF traps after the next instruction, BS set (SDM 17.3.1.4). */
static void tf_step(void)
{
	extern const char after_step[];
	reset();
	__asm__ volatile("pushf\norl %0, (%%" SP
			 ")\npopf\nnop\n.globl after_step\nafter_step:" ::"i"(RFL_TF)
			 : "memory", "cc");
	check(rec_count == 1 && rec_ip == (uintptr_t)after_step && (rec_dr6 & DR6_BS),
	      "#DB: TF single step (%u, ip %p, dr6 %x)", rec_count, (void *)rec_ip, (u32)rec_dr6);
}

/* MOV to DR0-DR3 and DR7 reads back what was written (DR7 bit 10 reads 1; no enable bit set,
 * so nothing fires). */
static void mov_dr(void)
{
	uintptr_t a = 0x1000, b = 0x2345, c = 0x3008, d = 0x4ff0;
	uintptr_t dr7 = DR7_RST | (1u << 16) | (3u << 20) | (1u << 30); /* fields, no enables */
	DR_SET(0, a);
	DR_SET(1, b);
	DR_SET(2, c);
	DR_SET(3, d);
	DR_SET(7, dr7);
	uintptr_t r0 = DR_GET(0), r1 = DR_GET(1), r2 = DR_GET(2), r3 = DR_GET(3);
	uintptr_t r7 = DR_GET(7);
	DR_SET(7, DR7_RST);
	check(r0 == a && r1 == b && r2 == c && r3 == d, "MOV DR0-DR3 round trip (%x %x %x %x)",
	      (u32)r0, (u32)r1, (u32)r2, (u32)r3);
	check(r7 == dr7, "MOV DR7 round trip (%x, wrote %x)", (u32)r7, (u32)dr7);
}

int guest_main(void)
{
	trap_init();
	trap_set_gate(1, rec_db, 0);
	trap_set_gate(3, rec_bp, 3);
	printf("dbgself: %d-bit guest\n", (int)sizeof(void *) * 8);
	int3();
	exec_bp();
	write_watch();
	tf_step();
	mov_dr();
	return check_done();
}
