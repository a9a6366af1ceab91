/* String instructions that keel performs for the guest (issue 11, items 9 and 10): REP INS and
 * OUTS (always an exit), and REP STOS and MOVS into device space (a nested page fault), into
 * RAM, into the local APIC, and into unbacked guest-physical space; with counts above keel's
 * per-exit batch and above 4096, DF=1, the address-size prefix (16-bit registers in 32-bit
 * code, 32-bit ones in 64-bit code), and segment overrides (FS in 64-bit code, where it has a
 * base of its own). Each check reads back rCX, rSI/rDI and the data. The UART's scratch
 * register (0x3ff) is a port that returns what was last written to it. */
#include "rt/apic.h"
#include "rt/trap.h"

#define LAPIC	 0xfee00000u
#define TPR	 (LAPIC + 0x80)
#define VER	 (LAPIC + 0x30)
#define UNBACKED 0xd0000000u /* above any test VM's RAM, below the APICs */
#define SCRATCH	 0x3ff
#define NOPORT	 0x2e0 /* no device: reads all ones */
#define BIG	 5000  /* above 4096 and above keel's batch */
#define MSR_FS	 0xc0000100u

#define R32(a) (*(volatile u32 *)(uintptr_t)(a))
#define PTR(a) ((void *)(uintptr_t)(a))

static u8 buf[2 * BIG];

/* All of buf[from, to) holds v. */
static bool all(u32 from, u32 to, u8 v)
{
	for (u32 i = from; i < to; i++)
		if (buf[i] != v)
			return false;
	return true;
}

/* REP INSB and INSL into RAM, forwards and backwards. */
static void ins_ram(void)
{
	memset(buf, 0, sizeof(buf));
	outb(SCRATCH, 0x5a);
	void *di = buf;
	uintptr_t n = BIG;
	__asm__ volatile("rep insb" : "+D"(di), "+c"(n) : "d"(SCRATCH) : "memory");
	check(n == 0 && di == buf + BIG && all(0, BIG, 0x5a) && buf[BIG] == 0,
	      "rep insb x%u into RAM: rcx %u, rdi +%d", BIG, (u32)n, (int)((u8 *)di - buf));
	memset(buf, 0, sizeof(buf));
	di = buf + BIG - 4, n = BIG / 4;
	__asm__ volatile("std; rep insl; cld" : "+D"(di), "+c"(n) : "d"(NOPORT) : "memory");
	check(n == 0 && (uintptr_t)di == (uintptr_t)buf - 4 && all(0, BIG, 0xff) && buf[BIG] == 0,
	      "std; rep insl x%u into RAM: rcx %u, rdi -%d", BIG / 4, (u32)n,
	      (int)(buf + BIG - 4 - (u8 *)di));
}

/* INS into space with no RAM completes and drops the data (item 9); into the LAPIC it writes
 * the register. */
static void ins_device(void)
{
	void *di = PTR(UNBACKED);
	uintptr_t n;
	__asm__ volatile("insb" : "+D"(di) : "d"(SCRATCH) : "memory");
	check(di == PTR(UNBACKED + 1), "insb into unbacked space completes: rdi +%d",
	      (int)((uintptr_t)di - UNBACKED));
	di = PTR(UNBACKED), n = BIG;
	__asm__ volatile("rep insb" : "+D"(di), "+c"(n) : "d"(SCRATCH) : "memory");
	check(n == 0 && di == PTR(UNBACKED + BIG), "rep insb x%u into unbacked space: rcx %u", BIG,
	      (u32)n);
	check(R32(UNBACKED) == 0xffffffffu, "unbacked space still reads all ones: 0x%x",
	      R32(UNBACKED));
	outb(SCRATCH, 0x37);
	di = PTR(TPR), n = 1;
	__asm__ volatile("rep insb" : "+D"(di), "+c"(n) : "d"(SCRATCH) : "memory");
	check(n == 0 && R32(TPR) == 0x37, "rep insb x1 into the LAPIC's TPR: 0x%x", R32(TPR));
	R32(TPR) = 0;
}

/* REP OUTSB from RAM and from unbacked space; the scratch register keeps the last byte. */
static void outs(void)
{
	for (u32 i = 0; i < BIG; i++)
		buf[i] = (u8)(i * 7 + 1);
	const void *si = buf;
	uintptr_t n = BIG;
	__asm__ volatile("rep outsb" : "+S"(si), "+c"(n) : "d"(SCRATCH) : "memory");
	check(n == 0 && si == buf + BIG && inb(SCRATCH) == buf[BIG - 1],
	      "rep outsb x%u from RAM: rcx %u, last byte 0x%x", BIG, (u32)n, inb(SCRATCH));
	si = buf + BIG - 1, n = BIG;
	__asm__ volatile("std; rep outsb; cld" : "+S"(si), "+c"(n) : "d"(SCRATCH) : "memory");
	check(n == 0 && (uintptr_t)si == (uintptr_t)buf - 1 && inb(SCRATCH) == buf[0],
	      "std; rep outsb x%u: rcx %u, last byte 0x%x", BIG, (u32)n, inb(SCRATCH));
	si = PTR(UNBACKED), n = BIG;
	__asm__ volatile("rep outsb" : "+S"(si), "+c"(n) : "d"(SCRATCH) : "memory");
	check(n == 0 && si == PTR(UNBACKED + BIG) && inb(SCRATCH) == 0xff,
	      "rep outsb x%u from unbacked space: rcx %u, last byte 0x%x", BIG, (u32)n,
	      inb(SCRATCH));
	si = PTR(VER), n = 1;
	__asm__ volatile("rep outsb" : "+S"(si), "+c"(n) : "d"(SCRATCH) : "memory");
	check(inb(SCRATCH) == 0x14, "rep outsb from the LAPIC's version register: 0x%x",
	      inb(SCRATCH));
}

/* REP STOS and MOVS into device space: all elements, rCX 0 (item 10: ECX=904 was left). */
static void stos_movs(void)
{
	void *di = PTR(UNBACKED);
	uintptr_t n = BIG;
	__asm__ volatile("rep stosb" : "+D"(di), "+c"(n) : "a"(0x11) : "memory");
	check(n == 0 && di == PTR(UNBACKED + BIG), "rep stosb x%u into unbacked space: rcx %u", BIG,
	      (u32)n);
	di = PTR(UNBACKED + 4 * BIG), n = BIG;
	__asm__ volatile("std; rep stosl; cld" : "+D"(di), "+c"(n) : "a"(0x11) : "memory");
	check(n == 0 && di == PTR(UNBACKED), "std; rep stosl x%u into unbacked space: rcx %u", BIG,
	      (u32)n);
	for (u32 i = 0; i < BIG; i++)
		buf[i] = (u8)i;
	const void *si = buf;
	di = PTR(UNBACKED), n = BIG;
	__asm__ volatile("rep movsb" : "+D"(di), "+S"(si), "+c"(n)::"memory");
	check(n == 0 && di == PTR(UNBACKED + BIG) && si == buf + BIG,
	      "rep movsb x%u RAM -> unbacked space: rcx %u", BIG, (u32)n);
	si = PTR(UNBACKED), di = buf, n = BIG / 2;
	__asm__ volatile("rep movsw" : "+D"(di), "+S"(si), "+c"(n)::"memory");
	check(n == 0 && di == buf + BIG && all(0, BIG, 0xff) && buf[BIG] == 0,
	      "rep movsw x%u unbacked space -> RAM: rcx %u, all ones", BIG / 2, (u32)n);
	di = PTR(TPR), n = 1;
	__asm__ volatile("std; rep stosl; cld" : "+D"(di), "+c"(n) : "a"(0x29) : "memory");
	check(n == 0 && di == PTR(TPR - 4) && R32(TPR) == 0x29,
	      "std; rep stosl x1 into the TPR: 0x%x, rdi -4", R32(TPR));
	R32(TPR) = 0;
}

#if defined(__x86_64__)
static void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

/* 64-bit code: FS overrides the source of OUTS and MOVS; 0x67 makes rCX/rDI 32 bits wide. */
static void long_mode(void)
{
	static u8 area[0x2000];
	area[3] = 'z', area[0x1003] = 'D';
	wrmsr(MSR_FS, 0x1000);
	const void *si = area;
	uintptr_t n = 4;
	__asm__ volatile("rep outsb %%fs:(%%rsi), (%%dx)"
			 : "+S"(si), "+c"(n)
			 : "d"(SCRATCH)
			 : "memory");
	check(n == 0 && inb(SCRATCH) == 'D', "rep fs: outsb reads through FS: last byte '%c'",
	      inb(SCRATCH));
	wrmsr(MSR_FS, VER);
	u32 x = 0;
	void *di = &x;
	si = 0;
	__asm__ volatile("movsl %%fs:(%%rsi), (%%rdi)" : "+S"(si), "+D"(di)::"memory");
	check(x == 0x00050014, "fs: movsl from the LAPIC's version register: 0x%x", x);
	wrmsr(MSR_FS, 0);
	memset(buf, 0, sizeof(buf));
	u64 rdi = (uintptr_t)buf, rcx = BIG;
	__asm__ volatile("addr32 rep insb" : "+D"(rdi), "+c"(rcx) : "d"(NOPORT) : "memory");
	check(rcx == 0 && rdi == (uintptr_t)buf + BIG && all(0, BIG, 0xff),
	      "a32 rep insb x%u: ecx %u", BIG, (u32)rcx);
}
#else
/* With tail=ADDR (the end of RAM): an instruction keel cannot emulate (PUSH from the LAPIC) in
 * RAM's last two bytes. keel stops the VM naming the two bytes it could fetch, and zeros for
 * the rest, not bytes of its own stack. Paging is off: linear is physical. */
static void tail_fetch(u32 end)
{
	u8 *p = PTR(end - 2);
	p[0] = 0xff, p[1] = 0x33; /* push (%ebx) */
	__asm__ volatile("call *%0" ::"r"(p), "a"(0), "b"(LAPIC) : "memory");
	check(false, "the VM should have stopped at the PUSH");
}

/* 32-bit code: 0x67 makes CX and DI 16 bits wide, and the upper halves stay as they were. */
static void prot_mode(void)
{
	u8 *low = PTR(0x8000); /* RAM below 64 KiB, free in every test VM */
	memset(low, 0, 0x200);
	u32 edi = 0xabcd8000u, ecx = 0x12340100;
	__asm__ volatile("addr16 rep insb" : "+D"(edi), "+c"(ecx) : "d"(NOPORT) : "memory");
	check(ecx == 0x12340000 && edi == 0xabcd8100 && low[0] == 0xff && low[0xff] == 0xff &&
		      low[0x100] == 0,
	      "a16 rep insb x256 at DI (EDI's top half ignored, kept): ecx 0x%x, edi 0x%x", ecx,
	      edi);
	u32 esi = 0xffff0000u | 0xff00, n = 0x56780200;
	__asm__ volatile("addr16 rep outsb" : "+S"(esi), "+c"(n) : "d"(SCRATCH) : "memory");
	check(n == 0x56780000 && esi == 0xffff0100,
	      "a16 rep outsb x512 wraps SI at 64 KiB: ecx 0x%x, esi 0x%x", n, esi);
}
#endif

/* Interrupts get in between batches of a long REP (item 4, and as between a real CPU's
 * iterations, SDM vol. 2 "REP"): a periodic APIC timer's handler records where it
 * interrupted; some tick must land on the REP STOSB itself, with the instruction half done
 * (RCX below its starting 4 * BIG = 20000).
 * keel used to do a whole REP STOS to device space (and a page of REP OUTS) in one exit. */
#define VEC 0x40
volatile uintptr_t landed_ip;
volatile u32 landed;

#if defined(__x86_64__)
__asm__(".text\n.balign 16\ntick_stub:\n push %rax\n mov 8(%rsp), %rax\n mov %rax, landed_ip\n"
	" lea rep_insn(%rip), %rax\n cmp %rax, 8(%rsp)\n jne 1f\n cmp $20000, %rcx\n je 1f\n"
	" incl landed\n"
	"1: mov $0xfee000b0, %eax\n movl $0, (%rax)\n pop %rax\n iretq\n");
#else
__asm__(".text\n.balign 16\ntick_stub:\n push %eax\n mov 4(%esp), %eax\n mov %eax, landed_ip\n"
	" cmpl $rep_insn, 4(%esp)\n jne 1f\n cmp $20000, %ecx\n je 1f\n incl landed\n"
	"1: movl $0, 0xfee000b0\n pop %eax\n iret\n");
#endif
void tick_stub(void);

static void interrupted(void)
{
	trap_set_gate(VEC, tick_stub, 0);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	apic_write(APIC_TMR_DIV, APIC_DIV_1);
	apic_write(APIC_LVT_TIMER, VEC | APIC_LVT_PERIOD);
	apic_write(APIC_TMR_INIT, (u32)(apic_timer_khz() / 10)); /* 100 us */
	uintptr_t n = 1;
	for (u32 i = 0; i < 100 && !landed; i++) {
		void *di = PTR(UNBACKED);
		n = 4 * BIG;
		__asm__ volatile("sti\n nop\n rep_insn: rep stosb\n cli"
				 : "+D"(di), "+c"(n)
				 : "a"(0)
				 : "memory");
	}
	apic_write(APIC_LVT_TIMER, VEC | APIC_LVT_MASKED);
	check(landed > 0 && n == 0, "a tick lands on a REP STOSB into unbacked space: %u times",
	      landed);
}

int guest_main(void)
{
	trap_init();
	printf("strio: %d-bit guest\n", (int)sizeof(void *) * 8);
#if !defined(__x86_64__)
	if (cmdline_has("tail"))
		tail_fetch((u32)cmdline_num("tail", 0));
#endif
	ins_ram();
	ins_device();
	outs();
	stos_movs();
	interrupted();
#if defined(__x86_64__)
	long_mode();
#else
	prot_mode();
#endif
	return check_done();
}
