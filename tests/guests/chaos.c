/* A hostile guest: ops=N (default 20000) random operations from a seeded generator (seed=N),
 * each one that exits to keel, against every device and interface keel gives a guest: port
 * reads and writes of every width on the platform's ports and anywhere else; loads and stores
 * of every width anywhere in the local APIC's and I/O APIC's pages and in unbacked
 * guest-physical space; RDMSR and WRMSR of known and random MSRs (with #GP caught);
 * hypercalls with random numbers and arguments; CPUID with random leaves; CPU state (cpu_op:
 * CR8, DR0-DR3/DR6/DR7, CR4 bit flips, XSETBV, each with the fault it must raise). What would end
 * the VM on purpose is left out: the debug-exit port, resets (0xcf9 bit 2, port 0x92 bit 0,
 * keyboard-controller pulses) and ACPI sleep (SLP_EN); and what would raise an NMI, INIT or
 * SIPI at the guest itself (those delivery modes in the APIC registers). The guest keeps
 * interrupts off, so what the devices raise stays pending. Then it puts its UART back, prints
 * a tally and exits 0: the test is that keel and the VM are still standing. */
#include "rt/trap.h"

#define LAPIC	    0xfee00000u
#define IOAPIC	    0xfec00000u
#define UNBACKED    0xd0000000u /* above any test VM's RAM, below the APICs */
#define HC_EXIT	    2
#define DELIVERY    0x700u /* APIC delivery mode: fixed (0) is all chaos may use */
#define KBC_PULSES  0xf0u  /* i8042 commands 0xf0-0xff pulse the output lines (reset) */
#define KBC_WRITE_P 0xd1u  /* i8042: the next data byte is the output port (bit 0: reset) */

static u64 state;

/* xorshift64* (Vigna): enough for spreading operations, no libgcc needed. */
static u32 rnd(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (u32)((state * 2685821657736338717ull) >> 32);
}

static u32 below(u32 n)
{
	return rnd() % n;
}

/* The platform's ports (README "What a guest sees") and a few more, weighted over the rest. */
static const u16 ports[] = {0x20,  0x21,  0xa0,	 0xa1,	0x40,  0x41,  0x42,  0x43,  0x61,
			    0x70,  0x71,  0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff,
			    0x510, 0x511, 0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x608,
			    0xcf8, 0xcfc, 0xcfd, 0xcfe, 0xcff, 0x60,  0x64,  0x92,  0x4d0,
			    0x4d1, 0xcf9, 0x80,	 0x2f8, 0x1f0, 0x3f0};

static u32 nport, nmmio, nmsr, ngp, nhc, ncpuid;

/* Clear bit `bit` of the byte at port `at` within a write of size bytes at port p. */
static u32 clear_at(u16 p, u8 size, u16 at, u32 bit, u32 v)
{
	return p <= at && at < p + size ? v & ~(1u << ((at - p) * 8 + bit)) : v;
}

/* A value for a write at port p that cannot end the VM, whatever ports its bytes reach. */
static u32 tame_port(u16 p, u8 size, u32 v)
{
	v = clear_at(p, size, 0xcf9, 2, v); /* reset control: reset */
	v = clear_at(p, size, 0x92, 0, v);  /* fast reset */
	v = clear_at(p, size, 0x605, 5, v); /* PM1 control: SLP_EN */
	if (p <= 0x64 && 0x64 < p + size) {
		u32 sh = (0x64u - p) * 8, cmd = (v >> sh) & 0xff;
		if (cmd >= KBC_PULSES || cmd == KBC_WRITE_P) /* self-test instead */
			v = (v & ~(0xffu << sh)) | 0xaau << sh;
	}
	return v;
}

static void port_op(void)
{
	u16 p = below(4) ? ports[below(sizeof(ports) / sizeof(ports[0]))] : (u16)rnd();
	u8 size = (u8)(1u << below(3));
	if ((p < 0xf8 && 0xf4 < p + size) || (p <= 0x3f8 && 0x3f8 < p + size))
		return; /* debug-exit (0xf4-0xf7); the UART's data register (the log stays readable)
			 */
	nport++;
	if (below(2)) {
		if (size == 1)
			(void)inb(p);
		else if (size == 2)
			(void)inw(p);
		else
			(void)inl(p);
		return;
	}
	u32 v = tame_port(p, size, rnd());
	if (size == 1)
		outb(p, (u8)v);
	else if (size == 2)
		outw(p, (u16)v);
	else
		outl(p, v);
}

/* The local APIC registers whose delivery mode could raise an NMI, INIT or SIPI: the ICR
 * and the LVTs. chaos writes them whole, with the mode fixed. */
static bool apic_delivers(u32 base, u32 off)
{
	u32 reg = off & ~0xfu;
	return base == LAPIC && (reg == 0x300 || (reg >= 0x320 && reg <= 0x370));
}

static void mmio_op(void)
{
	static const u32 bases[] = {LAPIC, IOAPIC, UNBACKED};
	u32 base = bases[below(3)], off = below(4096);
	u8 size = (u8)(1u << below(4));
	off &= ~(u32)(size - 1) & 0xfff;
	uintptr_t a = base + off;
	nmmio++;
	if (base == IOAPIC && off == 0x10 && below(2)) { /* a redirection entry, tamed */
		u32 reg = 0x10 + below(48);
		*(volatile u32 *)(uintptr_t)IOAPIC = reg;
		*(volatile u32 *)(uintptr_t)(IOAPIC + 0x10) = (reg & 1) ? rnd() : rnd() & ~DELIVERY;
		return;
	}
	if (base == IOAPIC && off >= 0x10 && off < 0x20)
		return; /* the data window: only as above, so its register is known */
	if (below(2)) {
		if (size == 1)
			(void)*(volatile u8 *)a;
		else if (size == 2)
			(void)*(volatile u16 *)a;
		else if (size == 4)
			(void)*(volatile u32 *)a;
		else
			(void)*(volatile u64 *)a;
		return;
	}
	u32 v = rnd();
	if (apic_delivers(base, off)) {
		*(volatile u32 *)(uintptr_t)(base + (off & ~0xfu)) = v & ~DELIVERY;
		return;
	}
	if (size == 1)
		*(volatile u8 *)a = (u8)v;
	else if (size == 2)
		*(volatile u16 *)a = (u16)v;
	else if (size == 4)
		*(volatile u32 *)a = v;
	else
		*(volatile u64 *)a = (u64)rnd() << 32 | v;
}

static void msr_op(void)
{
	/* TSC, APIC_BASE, feature control, MTRRs, PAT, SYSENTER, misc enable, the syscall
	 * and segment-base MSRs, x2APIC, and whatever else the generator says. */
	static const u32 known[] = {0x10,	0x1b,	    0x3a,	0xfe,	    0x174,
				    0x175,	0x176,	    0x1a0,	0x200,	    0x201,
				    0x277,	0x2ff,	    0x802,	0x830,	    0xc0000081,
				    0xc0000082, 0xc0000084, 0xc0000100, 0xc0000102, 0xc0010015};
	u32 msr = below(2) ? known[below(sizeof(known) / sizeof(known[0]))] : rnd();
	u32 lo = rnd(), hi = below(2) ? 0 : rnd();
	nmsr++;
	u32 vec;
	if (below(2))
		vec = TRAP_TRY("rdmsr", : "+a"(lo), "+d"(hi) : "c"(msr));
	else
		vec = TRAP_TRY("wrmsr", : : "c"(msr), "a"(lo), "d"(hi));
	ngp += vec != TRAP_NONE;
}

static void hypercall_op(void)
{
	u64 nr = below(2) ? below(8) : ((u64)rnd() << 32 | rnd());
	if (nr == HC_EXIT)
		return;
	nhc++;
	u64 a1 = below(2) ? UNBACKED + below(1u << 20) : ((u64)rnd() << 32 | rnd());
	u64 a2 = below(4) ? below(8192) : ((u64)rnd() << 32 | rnd());
	if (nr == 1 && (u32)a1 < 64 * 1024 * 1024u) /* 32-bit guests pass the low half */
		a2 &= 63;			    /* a print from RAM: keep the log short */
	hypercall(nr, a1, a2, rnd(), rnd());
}

/* CPU state a guest reaches (README "Guest-reachable CPU state"): each operation must do what
 * the architecture says, or the run fails. */
static u32 ncpu, nbad;

static void cpu_expect(bool ok, const char *what, u64 v, u32 vec)
{
	if (ok)
		return;
	nbad++;
	printf("chaos: %s 0x%llx: unexpected result (vector %u)\n", what, (unsigned long long)v,
	       vec);
}

/* CR8 is the task priority in 64-bit mode: it reads back. Elsewhere the assembler's form is
 * AMD's LOCK MOV CR0, which is CR8 where the CPU has it and #UD where it does not. */
static void cr8_op(void)
{
	uintptr_t v = below(16), got = 0;
	u32 vec = TRAP_TRY("mov %1, %%cr8\n\tmov %%cr8, %0", : "+r"(got) : "r"(v));
	bool works = vec == TRAP_NONE && got == v;
	cpu_expect(sizeof(void *) == 8 ? works : works || vec == 6, "CR8", v, vec);
}

/* DR0-DR3 hold anything; DR6 and DR7 refuse bits 63:32 (#GP); DR7 never enables a breakpoint
 * or general detection here, so no #DB can follow. */
static void dr_op(void)
{
	uintptr_t v = (uintptr_t)((u64)rnd() << 32 | rnd()), got = 0;
	u32 n = below(6), vec;
	if (n == 4)
		v = 0xffff0ff0u | (v & 0xf); /* B0-B3 */
	else if (n == 5)
		v = 0x400 | (v & 0xdddd0000u); /* R/W (never 10: I/O) and LEN fields only */
	if (n >= 4 && sizeof(void *) == 8 && below(4) == 0)
		v |= (uintptr_t)((u64)1 << (32 + below(32)));
	switch (n) {
	case 0: vec = TRAP_TRY("mov %1, %%db0\n\tmov %%db0, %0", : "+r"(got) : "r"(v)); break;
	case 1: vec = TRAP_TRY("mov %1, %%db1\n\tmov %%db1, %0", : "+r"(got) : "r"(v)); break;
	case 2: vec = TRAP_TRY("mov %1, %%db2\n\tmov %%db2, %0", : "+r"(got) : "r"(v)); break;
	case 3: vec = TRAP_TRY("mov %1, %%db3\n\tmov %%db3, %0", : "+r"(got) : "r"(v)); break;
	case 4: vec = TRAP_TRY("mov %1, %%db6\n\tmov %%db6, %0", : "+r"(got) : "r"(v)); break;
	default: vec = TRAP_TRY("mov %1, %%db7\n\tmov %%db7, %0", : "+r"(got) : "r"(v)); break;
	}
	bool reserved = n >= 4 && (u64)v >> 32;
	cpu_expect(reserved ? vec == 13 : vec == TRAP_NONE && (n >= 4 || got == v), "DR", v, vec);
}

/* CR4 bits whose feature CPUID shows (leaf, register, bit) may flip; the others #GP. Paging
 * (PSE, PAE, LA57, PCIDE), SMEP/SMAP and the FXSR bits stay out: they would change how this
 * guest runs, not what keel allows. */
static void cr4_op(void)
{
	static const u8 bits[][4] = {
		{0, 1, 3, 1},  {1, 1, 3, 1},  {2, 1, 3, 4},   {3, 1, 3, 2},
		{6, 1, 3, 7},  {7, 1, 3, 13}, {11, 7, 2, 2},  {13, 1, 2, 5},
		{14, 1, 2, 6}, {16, 7, 1, 0}, {18, 1, 2, 26}, {22, 7, 2, 3},
	};
	const u8 *b = bits[below(sizeof(bits) / sizeof(bits[0]))];
	u32 r[4];
	cpuid(b[1], 0, r);
	bool offered = r[b[2]] & (1u << b[3]);
	uintptr_t cr4, flipped;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	flipped = cr4 ^ ((uintptr_t)1 << b[0]);
	u32 vec = TRAP_TRY("mov %0, %%cr4", ::"r"(flipped));
	cpu_expect(offered || (cr4 & ((uintptr_t)1 << b[0])) ? vec == TRAP_NONE : vec == 13, "CR4",
		   flipped, vec);
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
}

/* CR4.OSXSAVE is only ever flipped and put back (cr4_op), so it is clear here and XSETBV is #UD. */
static void xsetbv_op(void)
{
	u32 vec = TRAP_TRY("xsetbv", ::"c"(below(2) ? 0 : rnd()), "a"(rnd()), "d"(rnd()));
	cpu_expect(vec == 6, "XSETBV", 0, vec);
}

static void cpu_op(void)
{
	ncpu++;
	switch (below(4)) {
	case 0: cr8_op(); break;
	case 1: dr_op(); break;
	case 2: cr4_op(); break;
	default: xsetbv_op(); break;
	}
}

static void cpuid_op(void)
{
	u32 r[4];
	u32 leaf = below(2) ? below(0x20) : below(2) ? 0x40000000 + below(0x20) : rnd();
	cpuid(leaf, below(4), r);
	ncpuid++;
}

/* String I/O and REP STOS/MOVS (issue 11): random counts, some above 4096, into and out of
 * RAM, unbacked space and the local APIC, with DF either way. Port writes carry tamed values
 * to ports port_op may write; LAPIC writes are whole, aligned, fixed-delivery words. */
static u8 sbuf[32768];
static u32 nstring, nprefixed, nwrong;

/* A destination or source for count elements of size bytes, going down if down. */
static uintptr_t string_place(u32 where, u32 count, u8 size, bool down)
{
	u32 span = count * size;
	uintptr_t base = where == 0 ? (uintptr_t)sbuf : where == 1 ? UNBACKED : LAPIC;
	return down ? base + span - size : base;
}

static void string_op(void)
{
	u32 form = below(4), where = below(3), count = below(4) ? below(64) : below(6000);
	u8 size = form == 0 ? (u8)(1u << below(3)) : 1; /* STOS any width; the others bytes */
	bool down = below(2);
	u16 p = ports[below(sizeof(ports) / sizeof(ports[0]))];
	if (count * size > sizeof(sbuf))
		count = sizeof(sbuf) / size;
	if (where == 2 && (form >= 2 || (form == 0 && size != 4)))
		where = 1; /* the LAPIC: whole words from STOS, reads by MOVS, no port bytes */
	if ((p < 0xf8 && 0xf4 < p + 1) || p == 0x3f8)
		p = 0x80; /* as port_op: not the debug-exit port nor the UART's data */
	uintptr_t a = string_place(where, count, size, down), n = count;
	void *ram = (void *)string_place(0, count, size, down);
	u32 v = rnd() & ~DELIVERY;
	nstring++;
	if (form == 3) /* OUTS sends tamed values from RAM */
		for (u32 i = 0; i < count; i++)
			sbuf[i] = (u8)tame_port(p, 1, rnd());
	if (down)
		__asm__ volatile("std");
	if (form == 0 && size == 1)
		__asm__ volatile("rep stosb" : "+D"(a), "+c"(n) : "a"(v) : "memory");
	else if (form == 0 && size == 2)
		__asm__ volatile("rep stosw" : "+D"(a), "+c"(n) : "a"(v) : "memory");
	else if (form == 0)
		__asm__ volatile("rep stosl" : "+D"(a), "+c"(n) : "a"(v) : "memory");
	else if (form == 1) /* MOVS from there into RAM */
		__asm__ volatile("rep movsb" : "+D"(ram), "+S"(a), "+c"(n)::"memory");
	else if (form == 2) /* INS: a port's reads land there */
		__asm__ volatile("rep insb" : "+D"(a), "+c"(n) : "d"(p) : "memory");
	else /* OUTS, with a DS override for the decoder */
		__asm__ volatile(".byte 0x3e\n rep outsb" : "+c"(n), "+S"(ram) : "d"(p) : "memory");
	__asm__ volatile("cld");
	nwrong += n != 0;
}

/* Prefixed forms of instructions keel skips (issue 11, item 11), built at run time from a
 * random stack of prefixes: segment overrides, 0x66, 0x67, and in 64-bit code a REX last.
 * Each is followed by RET; CPUID leaf 0 must give the vendor's EBX back. */
static u8 code[32] __attribute__((aligned(16)));

static void prefixed_op(void)
{
	static const u8 pfx[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67};
	u32 k = below(11), len = 0, r[4];
	for (u32 i = 0; i < k; i++)
		code[len++] = pfx[below(sizeof(pfx))];
#if defined(__x86_64__)
	if (below(2))
		code[len++] = (u8)(0x40 + below(16));
#endif
	code[len++] = 0x0f, code[len++] = 0xa2, code[len++] = 0xc3; /* CPUID; RET */
	cpuid(0, 0, r);
	u32 a = 0, b = 0, c = 0, d = 0;
	__asm__ volatile("call *%4" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : "r"(code) : "memory");
	nprefixed++;
	nwrong += b != r[1];
}

int guest_main(void)
{
	trap_init();
	u32 ops = (u32)cmdline_num("ops", 20000);
	state = cmdline_num("seed", 1) * 0x9e3779b97f4a7c15ull | 1;
	printf("chaos: seed %u, %u operations\n", (u32)cmdline_num("seed", 1), ops);
	for (u32 i = 0; i < ops; i++) {
		u32 kind = below(19);
		if (kind < 6)
			port_op();
		else if (kind < 11)
			mmio_op();
		else if (kind < 13)
			msr_op();
		else if (kind < 14)
			hypercall_op();
		else if (kind < 16)
			cpuid_op();
		else if (kind < 17)
			string_op();
		else if (kind < 18)
			prefixed_op();
		else
			cpu_op();
	}
	if (sizeof(void *) == 8)
		__asm__ volatile("mov %0, %%cr8" ::"r"((uintptr_t)0)); /* as it started */
	outb(0x3fb, 0x03); /* the UART as rt left it: 8N1, no divisor latch */
	outb(0x3fc, 0x03); /* no loopback */
	outb(0x3f9, 0x00);
	outb(0x3fa, 0x07);
	printf("chaos: done: %u port, %u mmio, %u msr (%u faulted), %u hypercall, %u cpuid, "
	       "%u cpu (%u wrong)\n",
	       nport, nmmio, nmsr, ngp, nhc, ncpuid, ncpu, nbad);
	printf("chaos: %u string, %u prefixed, %u wrong\n", nstring, nprefixed, nwrong);
	return nbad != 0;
}
