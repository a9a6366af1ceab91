/* The KVM paravirtual clock as Linux finds and reads it (README "What a guest sees"): the
 * KVMKVMKVM signature in the 0x100-stepped scan, beside keel's own at 0x40000000; the clock
 * and TSC-stable feature bits; the system-time MSR filling a 32-byte structure whose even
 * version, TSC-stable flag and mul/shift agree with keel's TSC rate (CPUID 0x40000010) within
 * 1%, and whose time advances with the guest's own TSC across a delay of yields (where the
 * vCPU may move between host CPUs) within 1%, never backwards; the wall-clock MSR giving the
 * boot time, which with the clock is the CMOS RTC's time within 2 s; both MSRs reading back
 * what was written; and addresses outside RAM (past its end, across it, the local APIC)
 * taken without a fault and without harm. Run with mem=16M; nap=N sleeps N microseconds on the
 * APIC timer after each yield of the delay, so that idle host CPUs steal the vCPU (moves). */
#include "rt/apic.h"
#include "rt/nap.h"
#include "rt/msr.h"
#include "rt/trap.h"

typedef unsigned long long ull; /* for printf's %ll */

#define MSR_WALL   0x4b564d00u
#define MSR_SYSTEM 0x4b564d01u
#define RAM_END	   0x1000000u /* mem=16M */

struct pvclock_time {
	u32 version, pad0;
	u64 tsc_timestamp, system_time;
	u32 mul;
	int8_t shift;
	u8 flags, pad[2];
};

struct pvclock_wall {
	u32 version, sec, nsec;
};

static volatile struct pvclock_time ti __attribute__((aligned(32)));
static volatile struct pvclock_wall wall __attribute__((aligned(16)));

/* Linux's pvclock_scale_delta, with the 64 x 32 product in two halves (no 128-bit type in a
 * 32-bit guest). */
static u64 scale(u64 d, u32 mul, int8_t shift)
{
	d = shift < 0 ? d >> -shift : d << shift;
	return (d >> 32) * mul + (((d & 0xffffffffu) * mul) >> 32);
}

/* Linux's pvclock_clocksource_read: retry while the version is odd or changed. */
static u64 clock_ns(u64 *tsc, u32 *version)
{
	u32 v;
	u64 ns;
	do {
		v = ti.version;
		__asm__ volatile("" ::: "memory");
		*tsc = rdtsc();
		ns = ti.system_time + scale(*tsc - ti.tsc_timestamp, ti.mul, ti.shift);
		__asm__ volatile("" ::: "memory");
	} while ((v & 1) || v != ti.version);
	*version = v;
	return ns;
}

/* The first base in Linux's scan (hypervisor_cpuid_base) that answers KVMKVMKVM, 0 if none. */
static u32 kvm_base(void)
{
	for (u32 base = 0x40000000u; base < 0x40010000u; base += 0x100) {
		u32 r[4];
		cpuid(base, 0, r);
		if (r[1] == 0x4b4d564bu && r[2] == 0x564b4d56u && r[3] == 0x4du && r[0] >= base + 1)
			return base;
	}
	return 0;
}

static void signature(void)
{
	u32 r[4];
	cpuid(0x40000000u, 0, r);
	check(r[1] == 0x6c65656bu, "keel's signature stays at 0x40000000 (ebx 0x%x)", r[1]);
	u32 base = kvm_base();
	check(base == 0x40000100u, "KVMKVMKVM found at 0x%x", base);
	cpuid(base + 1, 0, r);
	check((r[0] & (1u << 3)) && (r[0] & (1u << 24)),
	      "features 0x%x: clocksource2 (bit 3), TSC-stable bit (bit 24)", r[0]);
}

/* Enable the clock on ti and look at what keel filled in. */
static void enable(u32 tsc_khz)
{
	u64 msr = (uintptr_t)&ti | 1;
	check(wrmsr_try(MSR_SYSTEM, msr) == TRAP_NONE, "system-time MSR written");
	check(rdmsr_or(MSR_SYSTEM, 0) == msr, "system-time MSR reads back 0x%llx", (ull)msr);
	u32 v = ti.version;
	check(v && !(v & 1), "version %u even and not 0", v);
	check(ti.flags & 1, "TSC-stable flag set (flags 0x%x)", ti.flags);
	u64 sec = scale((u64)tsc_khz * 1000, ti.mul, ti.shift);
	check(sec > 990000000u && sec < 1010000000u,
	      "mul 0x%x shift %d: %llu ns in a second of CPUID's %u kHz", ti.mul, ti.shift,
	      (ull)sec, tsc_khz);
}

/* Read the clock around a delay of yields and spins: its advance must match the guest's own
 * TSC at CPUID's rate within 1%, and every read be later than the one before. */
static void advance(u32 tsc_khz)
{
	u64 nap_us = cmdline_num("nap", 0), window = cmdline_num("ms", 30);
	u64 t0, t1, t, prev;
	u32 v, versions = 0, last;
	u64 ns0 = clock_ns(&t0, &last);
	bool forward = true;
	prev = ns0;
	do {
		hypercall(3, 0, 0, 0, 0); /* yield: with --smp 2 the vCPU may change host CPU */
		if (nap_us)
			nap(nap_us);
		u64 now = clock_ns(&t, &v);
		forward &= now >= prev;
		versions += v != last;
		prev = now, last = v;
	} while (t - t0 < (u64)tsc_khz * window); /* ms=N of TSC, 30 by default */
	u64 ns1 = clock_ns(&t1, &v);
	u64 want = div64((t1 - t0) * 1000, tsc_khz) * 1000, got = ns1 - ns0;
	check(forward && ns1 > ns0, "the clock never went back (%u refills seen)", versions);
	check(got > want - div64(want, 100) && got < want + div64(want, 100),
	      "%llu ns on the clock for %llu ns of TSC", (ull)got, (ull)want);
	check(ns0 < 600000000000ull, "system time %llu ns since the VM started", (ull)ns0);
}

static u8 cmos(u8 reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static u32 bcd(u8 v, bool binary)
{
	return binary ? v : (u32)(v >> 4) * 10 + (v & 15);
}

/* Unix seconds from a civil date (Howard Hinnant's days_from_civil), for 2000-2099. */
static u64 unix_time(u32 y, u32 m, u32 d, u32 hh, u32 mm, u32 ss)
{
	y -= m <= 2;
	u32 era = y / 400, yoe = y - era * 400;
	u32 doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	u32 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	u64 days = (u64)era * 146097 + doe - 719468;
	return days * 86400 + hh * 3600 + mm * 60 + ss;
}

/* The RTC's time now, in Unix seconds (read outside an update, as keel's own driver does). */
static u64 rtc_now(void)
{
	while (cmos(0x0a) & 0x80)
		;
	u8 b = cmos(0x0b);
	bool bin = b & 4;
	u8 hour = cmos(0x04);
	u32 h = bcd(hour & 0x7f, bin);
	if (!(b & 2)) /* 12-hour: 12 AM is 0, PM adds 12 */
		h = h % 12 + ((hour & 0x80) ? 12 : 0);
	return unix_time(2000 + bcd(cmos(0x09), bin), bcd(cmos(0x08), bin), bcd(cmos(0x07), bin), h,
			 bcd(cmos(0x02), bin), bcd(cmos(0x00), bin));
}

static void wall_clock(void)
{
	check(wrmsr_try(MSR_WALL, (uintptr_t)&wall) == TRAP_NONE, "wall-clock MSR written");
	check(rdmsr_or(MSR_WALL, 0) == (uintptr_t)&wall, "wall-clock MSR reads back");
	u64 tsc;
	u32 v;
	u64 now = wall.sec + div64(clock_ns(&tsc, &v) + wall.nsec, 1000000000u);
	u64 rtc = rtc_now();
	check(wall.version && !(wall.version & 1) && wall.nsec < 1000000000u,
	      "wall clock version %u, %u s %u ns at boot", wall.version, wall.sec, wall.nsec);
	check(now + 2 >= rtc && now <= rtc + 2, "wall clock now %llu, RTC %llu", (ull)now,
	      (ull)rtc);
}

/* Addresses keel cannot fill: past RAM, across its end, the local APIC. None faults, each
 * reads back, and the structure in RAM keeps working once enabled again. */
static void bad_addresses(void)
{
	static const u64 bad[] = {0x40000001ull, RAM_END - 16 + 1, 0xfee00001ull,
				  0xffffffffffffffe1ull};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool ok = wrmsr_try(MSR_SYSTEM, bad[i]) == TRAP_NONE &&
			  rdmsr_or(MSR_SYSTEM, 0) == bad[i] &&
			  wrmsr_try(MSR_WALL, bad[i] & ~1ull) == TRAP_NONE;
		check(ok, "system time and wall clock at 0x%llx: taken, read back", (ull)bad[i]);
	}
	u32 before = ti.version;
	wrmsr_try(MSR_SYSTEM, (uintptr_t)&ti | 1);
	check(ti.version > before && !(ti.version & 1), "enabled again: version %u -> %u", before,
	      ti.version);
	wrmsr_try(MSR_SYSTEM, 0);
	check(rdmsr_or(MSR_SYSTEM, 1) == 0, "disabled: reads 0");
}

int guest_main(void)
{
	trap_init();
	u32 r[4];
	cpuid(0x40000010u, 0, r);
	u32 khz = r[0]; /* keel's TSC rate, which the structure's mul and shift must match */
	printf("kvmclock: TSC %u kHz\n", khz);
	signature();
	enable(khz);
	advance(khz);
	wall_clock();
	bad_addresses();
	return check_done();
}
