/* repro-mttcg: QEMU multi-threaded TCG walks the host's page tables through the guest's nested
 * page table right after #VMEXIT. Each CPU loops VMRUN on a guest that only does VMMCALL.
 * Knobs (-append): smp=1|2 n=EXITS-per-CPU real=0|1 (real-mode guest; else 64-bit with paging)
 * fpu=0|1|2|4|8 (1: FXSAVE+FXRSTOR per exit, 2: CR4.OSFXSR only, 4: FXSAVE, 8: FXRSTOR)
 * ident=0|1 (NPT identity-maps 1 GiB, guest shares the host's page tables; else each guest has
 * its own 2 MiB) npt=0|1 vmload=0|1 (VMLOAD/VMSAVE around VMRUN as keel) asid=same
 * probe=0|1 (guest RAM at
 * GPA = host CR3 holds page tables mapping our text to a marker `outl`: status 99 proves CPU 0's
 * fetch after #VMEXIT was translated through its guest's NPT) apfx=1 (CPU 1 runs no guest and
 * only loops FXRSTOR). Cause: FXRSTOR -> cpu_set_fpus() -> cpu_clear_ignne() does a plain
 * read-modify-write of first_cpu->env.hflags2 from any vCPU thread, racing CPU 0's own
 * VMRUN/#VMEXIT updates of hflags2: a cleared HF2_NPT_MASK comes back while CPU 0 is the host. */
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

extern u64 pml4[512], ap_stack;
extern char tramp_start[], tramp_end[], guest_code[], after_vmrun[];
void world_switch(u64 vmcb, u64 host_vmcb, int vmload);

#define A4K __attribute__((aligned(4096)))
static u64 npt_pml4[2][512] A4K, npt_pdpt[2][512] A4K, npt_pd[2][512] A4K;
#define GRAM(cpu) (0x1000000ul + (cpu)*0x200000ul) /* each guest's 2 MiB of RAM (host-physical) */
static u8 hsave[2][4096] A4K, host_vmcb[2][4096] A4K, vmcb[2][4096] A4K;
static u8 stacks[2][16384] A4K, gstack[2][4096] A4K;

static volatile int ap_up, done[2], lock;
static volatile u64 exits[2];
static u8 fxguest[2][4096] A4K, fxhost[2][4096] A4K;
static u64 opt_smp = 2, opt_n = 200000, opt_npt = 1, opt_same_asid = 0, opt_vmload = 1,
	   opt_ident = 0, opt_real = 0, opt_fpu = 0, opt_probe = 0,
	   opt_apfx = 0; /* fpu: 1 FXSAVE+FXRSTOR per exit, 2 CR4.OSFXSR, 4 FXSAVE, 8 FXRSTOR */

static inline void outb(u16 p, u8 v)
{
	__asm__ volatile("outb %0,%1" ::"a"(v), "Nd"(p));
}
static inline u8 inb(u16 p)
{
	u8 v;
	__asm__ volatile("inb %1,%0" : "=a"(v) : "Nd"(p));
	return v;
}
static inline void outl(u16 p, u32 v)
{
	__asm__ volatile("outl %0,%1" ::"a"(v), "Nd"(p));
}
static inline u64 rdmsr(u32 m)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(m));
	return (u64)hi << 32 | lo;
}
static inline void wrmsr(u32 m, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(m), "a"((u32)v), "d"((u32)(v >> 32)));
}
#define RDCR(n)                                                  \
	({                                                       \
		u64 v;                                           \
		__asm__ volatile("mov %%cr" #n ",%0" : "=r"(v)); \
		v;                                               \
	})
#define LAPIC(off)   (*(volatile u32 *)(0xfee00000ul + (off)))
#define VM64(b, off) (*(u64 *)((b) + (off)))
#define VM32(b, off) (*(u32 *)((b) + (off)))
#define VM16(b, off) (*(u16 *)((b) + (off)))

static void putc_(char c)
{
	while (!(inb(0x3fd) & 0x20))
		;
	outb(0x3f8, c);
}
static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}
static void putn(u64 v, int base)
{
	char b[24];
	int i = 0;
	do {
		b[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i)
		putc_(b[--i]);
}
static void lock_(void)
{
	while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}
static void unlock_(void)
{
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}
static void report(int cpu, const char *what, u64 v, int base)
{
	lock_();
	puts_("cpu");
	putn(cpu, 10);
	puts_(what);
	putn(v, base);
	puts_("\n");
	unlock_();
}
static void quit(u32 code)
{
	outl(0xf4, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static unsigned slen(const char *s)
{
	unsigned n = 0;
	while (s[n])
		n++;
	return n;
}
static u64 num(const char *s)
{
	u64 v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}
static int starts(const char *s, const char *p)
{
	while (*p)
		if (*s++ != *p++)
			return 0;
	return 1;
}
static void parse(const char *s)
{
	struct {
		const char *k;
		u64 *v;
	} o[] = {{"smp=", &opt_smp},	   {"n=", &opt_n},	   {"npt=", &opt_npt},
		 {"vmload=", &opt_vmload}, {"ident=", &opt_ident}, {"real=", &opt_real},
		 {"fpu=", &opt_fpu},	   {"probe=", &opt_probe}, {"apfx=", &opt_apfx}};
	for (; *s; s++) {
		if (s[-1] != ' ' && s[-1] != '\0')
			continue;
		for (unsigned i = 0; i < sizeof(o) / sizeof(o[0]); i++)
			if (starts(s, o[i].k))
				*o[i].v = num(s + slen(o[i].k));
		if (starts(s, "asid=same"))
			opt_same_asid = 1;
	}
}

static void delay(u64 n)
{
	for (volatile u64 i = 0; i < n; i++)
		__builtin_ia32_pause();
}

static void cpu_setup(int cpu)
{
	__asm__ volatile("mov %0,%%cr3" ::"r"((u64)pml4) : "memory");
	if (opt_fpu & 2) /* CR4.OSFXSR|OSXMMEXCPT as keel's */
		__asm__ volatile("mov %%cr4,%%rax; or $0x600,%%rax; mov %%rax,%%cr4" ::: "rax");
	if (opt_fpu) {
		__asm__ volatile("fninit; fxsave %0" : "=m"(fxhost[cpu]));
	}
	/* SVM on, HSAVE per CPU, host VMCB saved once (as keel's svm_cpu_enable) */
	wrmsr(0xc0000080, rdmsr(0xc0000080) | (1 << 12));
	wrmsr(0xc0010117, (u64)hsave[cpu]);
	__asm__ volatile("vmsave %%rax" ::"a"((u64)host_vmcb[cpu]) : "memory");

	u8 *b = vmcb[cpu];
	VM32(b, 0x0c) = 1u << 0 | 1u << 18 | 1u << 24 | 1u << 31; /* INTR, CPUID, HLT, SHUTDOWN */
	VM32(b, 0x10) = 1u << 0 | 1u << 1;			  /* VMRUN, VMMCALL */
	VM32(b, 0x58) = opt_same_asid ? 1 : 1 + cpu;		  /* ASID */
	VM64(b, 0x60) = 1ull << 24;				  /* V_INTR_MASKING */
	u64 *g = (u64 *)GRAM(cpu);
	npt_pml4[cpu][0] = (u64)npt_pdpt[cpu] | 7;
	npt_pdpt[cpu][0] = (u64)npt_pd[cpu] | 7;
	if (opt_ident) /* guest-physical = host-physical for the first 1 GiB */
		for (int i = 0; i < 512; i++)
			npt_pd[cpu][i] = (u64)i << 21 | 0x87;
	else /* guest-physical 0..2 MiB = this guest's RAM, nothing else */
		npt_pd[cpu][0] = GRAM(cpu) | 0x87;
	/* guest RAM: PML4 0x1000, PDPT 0x2000, PD 0x3000 (2 MiB identity), code 0x4000 */
	g[0x1000 / 8] = 0x2007;
	g[0x2000 / 8] = 0x3007;
	g[0x3000 / 8] = 0x87;
	__builtin_memcpy((u8 *)g + 0x4000, "\x0f\x01\xd9\xeb\xfb", 5);
	if (opt_probe) { /* guest RAM at GPA = host CR3: tables mapping our text to a marker */
		u8 *r = (u8 *)g;
		*(u64 *)(r + (u64)pml4) = 0x1f0003;	       /* PML4[0] -> GPA 0x1f0000 */
		*(u64 *)(r + 0x1f0000) = 0x1f1003;	       /* PDPT[0] -> GPA 0x1f1000 */
		*(u64 *)(r + 0x1f1000) = 0x1f2003;	       /* PD[0] -> PT at GPA 0x1f2000 */
		*(u64 *)(r + 0x1f2000 + 0x100 * 8) = 0x150003; /* VA 0x100000 -> GPA 0x150000 */
		/* marker: outl(0x31 + owner + 4 * executing CPU): status 99/101 (CPU 0 ran the RAM of
		 * guest 0/1), 107/109 (CPU 1): fetched through these tables; 97: GPA = VA, no paging */
		u8 *m = r + 0x50000 + (u64)after_vmrun;
		__builtin_memcpy(
			m, "\xb8\x31\0\0\0\x48\x81\xfc\0\0\0\0\x72\x03\x83\xc0\x04\xe7\xf4", 19);
		m[1] += cpu;
		*(u32 *)(m + 8) = (u32)(u64)stacks[1];
		__builtin_memcpy(r + (u64)after_vmrun, "\xb8\x30\0\0\0\xe7\xf4", 7);
	}
	if (opt_npt) {
		VM64(b, 0x90) = 1;
		VM64(b, 0xb0) = (u64)npt_pml4[cpu];
	}
	u16 cs_attr = 0xa9b, ds_attr = 0xc93;
	for (int off = 0x400; off <= 0x450; off += 0x10) { /* ES CS SS DS FS GS */
		VM16(b, off + 2) = off == 0x410 ? cs_attr : ds_attr;
		VM16(b, off) = off == 0x410 ? 0x18 : 0x10;
		VM32(b, off + 4) = 0xffffffff;
	}
	VM16(b, 0x492) = 0x8b;
	VM32(b, 0x494) = 0x67; /* TR: busy TSS, base 0 */
	VM32(b, 0x464) = 0xffff;
	VM32(b, 0x484) = 0xfff;		    /* GDTR/IDTR limits */
	VM64(b, 0x4d0) = rdmsr(0xc0000080); /* EFER (LME LMA SVME [NXE]) */
	VM64(b, 0x548) = RDCR(4);
	VM64(b, 0x550) = RDCR(3); /* the host's page tables: identity under identity NPT */
	VM64(b, 0x558) = RDCR(0);
	VM64(b, 0x560) = 0x400;
	VM64(b, 0x568) = 0xffff0ff0;
	VM64(b, 0x570) = 2;
	VM64(b, 0x578) = (u64)guest_code;
	VM64(b, 0x5d8) = (u64)gstack[cpu] + 4096;
	if (!opt_ident) { /* a 64-bit guest in its own RAM with its own page tables */
		VM64(b, 0x550) = 0x1000;
		VM64(b, 0x578) = 0x4000;
		VM64(b, 0x5d8) = 0x8000;
	}
	if (opt_real) { /* or a real-mode guest at 0:0x4000 */
		for (int off = 0x400; off <= 0x450; off += 0x10) {
			VM16(b, off) = 0;
			VM16(b, off + 2) = off == 0x410 ? 0x9b : 0x93;
			VM32(b, off + 4) = 0xffff;
		}
		VM64(b, 0x4d0) = 1 << 12;
		VM64(b, 0x548) = 0;
		VM64(b, 0x550) = 0;
		VM64(b, 0x558) = 0x10;
	}
	VM64(b, 0x668) = 0x0007040600070406ull;
}

static void run(int cpu)
{
	u8 *b = vmcb[cpu];
	cpu_setup(cpu);
	report(cpu, ": running, ASID ", VM32(b, 0x58), 10);
	for (u64 i = 1;; i++) {
		world_switch((u64)b, (u64)host_vmcb[cpu], (int)opt_vmload);
		u64 code = VM64(b, 0x70);
		if (opt_fpu & 5) /* keel keeps the guest's x87/SSE state: FXSAVE guest's */
			__asm__ volatile("fxsave %0" : "=m"(fxguest[cpu]));
		if (opt_fpu & 9) /* FXRSTOR host's */
			__asm__ volatile("fxrstor %0" ::"m"(fxhost[cpu]));
		if (code == 0x81) { /* VMMCALL */
			VM64(b, 0x578) += 3;
		} else if (code == 0x60) { /* INTR: take it now, as keel's exit_intr */
			__asm__ volatile("sti; nop; cli");
		} else {
			report(cpu, ": unexpected exit code 0x", code, 16);
			quit(0x20);
		}
		exits[cpu] = i;
		if (i % 100000 == 0)
			report(cpu, ": exits ", i, 10);
		if (i == opt_n) {
			report(cpu, ": done, exits ", i, 10);
			done[cpu] = 1;
			if (cpu != 0)
				for (;;)
					__asm__ volatile("cli; hlt");
			while (opt_smp > 1 && !opt_apfx && !done[1])
				__builtin_ia32_pause();
			puts_("ALL DONE\n");
			quit(0x10);
		}
	}
}

void ap_main(void)
{
	ap_up = 1;
	if (opt_apfx) { /* apfx=1: CPU 1 runs no guest, only FXRSTOR in a loop */
		__asm__ volatile("fninit; fxsave %0" : "=m"(fxhost[1]));
		for (;;)
			__asm__ volatile("fxrstor %0" ::"m"(fxhost[1]));
	}
	run(1);
}

void bsp_main(u32 mbi)
{
	outb(0x3fb, 0x80);
	outb(0x3f8, 1);
	outb(0x3f9, 0);
	outb(0x3fb, 3); /* 115200 8N1 */
	outb(0x21, 0xff);
	outb(0xa1, 0xff); /* PIC masked */
	const char *cmd = *(u32 *)(u64)mbi & 4 ? (const char *)(u64) * (u32 *)(u64)(mbi + 16) : "";
	parse(cmd);
	puts_("repro-mttcg: '");
	puts_(cmd);
	puts_("' after_vmrun=0x");
	putn((u64)after_vmrun, 16);
	puts_("\n");
	if (opt_smp > 1) {
		/* the AP trampoline to 0x8000 (the SIPI vector 0x08) */
		u64 n = (u64)tramp_end - (u64)tramp_start; /* linker symbols, not C objects */
		for (u64 i = 0; i < n; i++)
			((volatile char *)0x8000)[i] = tramp_start[i];
		ap_stack = (u64)stacks[1] + sizeof(stacks[1]);
		LAPIC(0xf0) = 0x1ff;
		LAPIC(0x310) = 0;
		LAPIC(0x300) = 0xc4500; /* INIT to all but self */
		delay(100000);
		for (int k = 0; k < 2; k++) {
			LAPIC(0x310) = 0;
			LAPIC(0x300) = 0xc4608; /* SIPI, vector 0x08 */
			delay(10000);
			if (ap_up)
				break;
		}
		while (!ap_up)
			__builtin_ia32_pause();
	}
	run(0);
}
