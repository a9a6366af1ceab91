/* Isolation: run as two VMs at once, each with secret=X peer=Y on its command line. Each fills
 * its free RAM with a pattern made from its secret, yields so the other runs, then reads every
 * word of its guest-physical RAM: the peer's pattern must never appear, its own must be intact,
 * and keel's banner ("a minimal hypervisor for x86-64") must be nowhere. Addresses past its RAM
 * (just above it, 1-3.5 GiB, 4 GiB and up, and every MiB up to hostmem= MiB, where the host's
 * RAM and so the peer's pages lie) must read all-ones and drop writes.
 *
 * Neither secret is in the image: both are parsed from the command line at run time, and the
 * word at address a is secret ^ mix(a % 4096) with mix never 0, so a copy of the bare secret
 * in a variable matches nothing. The banner is kept XOR-encoded and compared byte by byte. */
#include "rt/rt.h"

#define PAGE	  4096u
#define MIB	  0x100000ull
#define GIB	  0x40000000ull
#define ONES	  (~0ull)
#define MIX	  0x9e3779b97f4a7c15ull /* odd: MIX * n != 0 for n in 1..512 */
#define HC_YIELD  3
#define INFO_SIZE 0x4000u /* keel's multiboot information area after the image */
#define PTE_P_W	  0x3ull
#define PTE_2M	  0x83ull /* present, writable, 2 MiB page */

extern char _end[];

#define KEY 0x5c /* the banner XOR 0x5c: the guest never holds it in clear */
static volatile const u8 banner_enc[] = {
	0x3d, 0x7c, 0x31, 0x35, 0x32, 0x35, 0x31, 0x3d, 0x30, 0x7c, 0x34,
	0x25, 0x2c, 0x39, 0x2e, 0x2a, 0x35, 0x2f, 0x33, 0x2e, 0x7c, 0x3a,
	0x33, 0x2e, 0x7c, 0x24, 0x64, 0x6a, 0x71, 0x6a, 0x68,
};

static u64 pd_4g[512] __attribute__((aligned(4096)));

struct range {
	u64 lo, hi;
};

#define RD(a)	   (*(volatile u64 *)(uintptr_t)(a))
#define HEX(x)	   ((unsigned long long)(x))
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(u64)(PAGE - 1))

/* The word the owner of secret writes at address a. */
static u64 pattern(u64 secret, u64 a)
{
	return secret ^ (MIX * ((a % PAGE) / 8 + 1));
}

/* Fill [lo, hi) with the pattern of secret; returns the words written. */
static u64 fill(struct range r, u64 secret)
{
	for (u64 a = r.lo; a < r.hi; a += 8)
		RD(a) = pattern(secret, a);
	return (r.hi - r.lo) / 8;
}

/* Count the words of [0, mem) that carry the pattern of secret; the first at *first. */
static u64 count(u64 mem, u64 secret, u64 *first)
{
	u64 n = 0;
	*first = ONES;
	for (u64 page = 0; page < mem; page += PAGE) {
		u64 k = MIX;
		for (u64 a = page; a < page + PAGE; a += 8, k += MIX) {
			if ((RD(a) ^ k) == secret) {
				if (!n++)
					*first = a;
			}
		}
	}
	return n;
}

/* Is the banner at address a? */
static bool banner_at(u64 a)
{
	const volatile u8 *p = (const volatile u8 *)(uintptr_t)a;
	for (size_t j = 0; j < sizeof(banner_enc); j++)
		if ((p[j] ^ KEY) != banner_enc[j])
			return false;
	return true;
}

/* Occurrences of the banner in [lo, hi), any alignment. A word at a time: only words holding
 * its first byte are looked at closely (v - 0x01.. & ~v & 0x80.. is non-zero iff v has a zero
 * byte; Hacker's Delight 6-1), which keeps the scan quick under Bochs. */
static u64 banner_hits(u64 lo, u64 hi, u64 *first)
{
	const u64 ones = 0x0101010101010101ull, rep = ones * (u8)(banner_enc[0] ^ KEY);
	u64 n = 0;
	*first = ONES;
	for (u64 w = lo & ~7ull; w < hi; w += 8) {
		u64 v = RD(w) ^ rep;
		if (!((v - ones) & ~v & ones << 7))
			continue;
		for (u64 a = w; a < w + 8; a++) {
			if (a >= lo && a + sizeof(banner_enc) <= hi && banner_at(a) && !n++)
				*first = a;
		}
	}
	return n;
}

/* The banner search finds a banner put in RAM on purpose (then wiped). */
static void banner_selftest(void)
{
	static u8 buf[64];
	u64 first, lo = (u64)(uintptr_t)buf, hi = lo + sizeof(buf);
	for (size_t i = 0; i < sizeof(banner_enc); i++)
		buf[3 + i] = banner_enc[i] ^ KEY;
	u64 n = banner_hits(lo, hi, &first);
	check(n == 1 && first == lo + 3, "the banner search finds a planted copy (%llu)", HEX(n));
	memset(buf, 0, sizeof(buf));
}

/* Map [4 GiB, 5 GiB) in the identity page tables keel built, with a PD of our own. */
static void map_above_4g(void)
{
	uintptr_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	u64 *pml4 = (u64 *)(cr3 & ~0xfffull);
	u64 *pdpt = (u64 *)(uintptr_t)(pml4[0] & 0xffffffffff000ull);
	for (u64 i = 0; i < 512; i++)
		pd_4g[i] = (4 * GIB + i * 2 * MIB) | PTE_2M;
	pdpt[4] = (u64)(uintptr_t)pd_4g | PTE_P_W;
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
}

/* Read a at every listed address past RAM: all-ones; write there and read again: still. */
static void probes(u64 mem, u64 hostmem)
{
	const u64 at[] = {mem,	   mem + PAGE,	      mem + 2 * MIB - 8, GIB,
			  2 * GIB, 3 * GIB,	      0xe0000000,	 0xfec00000,
			  4 * GIB, 4 * GIB + 2 * MIB, 5 * GIB - 8};
	for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		check(RD(at[i]) == ONES, "read at 0x%llx past RAM: 0x%llx", HEX(at[i]),
		      HEX(RD(at[i])));
	RD(mem + PAGE) = 0x1234;
	check(RD(mem + PAGE) == ONES, "write at 0x%llx past RAM dropped", HEX(mem + PAGE));
	RD(4 * GIB) = 0x1234;
	check(RD(4 * GIB) == ONES, "write at 4 GiB dropped");
	u64 bad = 0, first = 0;
	for (u64 a = mem; a < hostmem; a += MIB) {
		if (RD(a) != ONES && !bad++)
			first = a;
	}
	check(!bad,
	      "every MiB from 0x%llx to 0x%llx (the host's RAM) reads all-ones; %llu do not"
	      " (first 0x%llx)",
	      HEX(mem), HEX(hostmem), HEX(bad), HEX(first));
}

int guest_main(void)
{
	u64 mem = fwcfg_read(0x03, 8), own = cmdline_num("secret", 0),
	    peer = cmdline_num("peer", 0);
	u64 hostmem = cmdline_num("hostmem", 256) * MIB, yields = cmdline_num("yields", 50);
	if (!check(own && peer && own != peer, "two different secrets on the command line"))
		return check_done();
	u64 info = PAGE_UP((u64)(uintptr_t)_end); /* keel put its boot information here */
	struct range low = {0, 0x9f000};
	struct range high = {PAGE_UP(info + INFO_SIZE), MIB + (u64)boot_mbi->mem_upper * 1024};
	check(high.lo < high.hi && high.hi <= mem, "free RAM 0x%llx-0x%llx below RAM end 0x%llx",
	      HEX(high.lo), HEX(high.hi), HEX(mem));
	u64 words = fill(low, own) + fill(high, own);
	printf("isolation: %llu KiB filled with my pattern; yielding %llu times\n",
	       HEX(words / 128), HEX(yields));
	for (u64 i = 0; i < yields; i++)
		hypercall(HC_YIELD, 0, 0, 0, 0);
	u64 first, n = count(mem, peer, &first);
	check(n == 0, "the peer's pattern in my RAM: %llu words (first at 0x%llx)", HEX(n),
	      HEX(first));
	n = count(mem, own, &first);
	check(n == words, "my pattern intact: %llu of %llu words", HEX(n), HEX(words));
	n = banner_hits(0, mem, &first);
	check(n == 0, "keel's banner in my RAM: %llu times (first at 0x%llx)", HEX(n), HEX(first));
	banner_selftest();
	map_above_4g();
	probes(mem, hostmem);
	return check_done();
}
