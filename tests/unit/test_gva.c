/* The guest page walker over guest memory held in a host buffer: every paging mode with small
 * and large pages, the checks and #PF error codes of SDM 4.6 and 4.7, and gva_read across
 * pages. */
#include "tests/unit/fakes.h"
#include "exit/gva.h"
#include "kernel/x86.h"

#include <string.h>

#define RAM_SIZE (1 * MiB)

#define P    BIT(0)
#define RW   BIT(1)
#define US   BIT(2)
#define PS   BIT(7)
#define NX   BIT(63)
#define ADDR 0x000ffffffffff000ull

/* Error codes. */
#define E_P    BIT(0)
#define E_W    BIT(1)
#define E_U    BIT(2)
#define E_RSVD BIT(3)
#define E_I    BIT(4)

static u8 ram[RAM_SIZE];
static u64 next_table;
static int reads;

static bool ram_read(void *ctx, u64 gpa, void *buf, size_t n)
{
	(void)ctx;
	reads++;
	if (gpa > RAM_SIZE || n > RAM_SIZE - gpa)
		return false;
	memcpy(buf, ram + gpa, n);
	return true;
}

static u64 get64(u64 gpa)
{
	u64 v;
	memcpy(&v, ram + gpa, 8);
	return v;
}

static void put64(u64 gpa, u64 v)
{
	memcpy(ram + gpa, &v, 8);
}

static void put32(u64 gpa, u32 v)
{
	memcpy(ram + gpa, &v, 4);
}

/* Clear guest RAM; tables are then handed out from 0x10000 up. */
static int reset(void **state)
{
	(void)state;
	memset(ram, 0, sizeof(ram));
	next_table = 0x10000;
	reads = 0;
	return 0;
}

static u64 new_table(void)
{
	u64 t = next_table;
	next_table += PAGE_SIZE;
	return t;
}

static struct guest_paging paging(u64 cr0, u64 cr3, u64 cr4, u64 efer)
{
	return (struct guest_paging){cr0, cr3, cr4, efer, ram_read, NULL};
}

/* gpa of the 8-byte entry for la at level, in 9-bit-index tables from root (top levels). */
static u64 slot64(u64 root, int top, u64 la, int level)
{
	u64 table = root;
	for (int l = top;; l--) {
		u64 at = table + 8 * ((la >> (12 + 9 * (l - 1))) & 511);
		if (l == level)
			return at;
		u64 e = get64(at);
		if (!(e & P)) {
			e = new_table() | P | RW | US;
			put64(at, e);
		}
		table = e & ADDR;
	}
}

/* Map la to pa with a leaf at level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB); tables get P|RW|US. */
static u64 map64(u64 root, int top, u64 la, u64 pa, int level, u64 flags)
{
	u64 at = slot64(root, top, la, level);
	put64(at, pa | flags | (level > 1 ? PS : 0));
	return at;
}

/* Same for 32-bit paging: 10-bit indexes, 4-byte entries. */
static u64 map32(u64 root, u32 la, u32 leaf_entry, bool large)
{
	u64 pde_at = root + 4 * (la >> 22);
	if (large) {
		put32(pde_at, leaf_entry);
		return pde_at;
	}
	u32 pde;
	memcpy(&pde, ram + pde_at, 4);
	if (!(pde & P)) {
		pde = (u32)new_table() | P | RW | US;
		put32(pde_at, pde);
	}
	u64 pte_at = (pde & 0xfffff000) + 4 * ((la >> 12) & 1023);
	put32(pte_at, leaf_entry);
	return pte_at;
}

/* Translate and expect success at want. */
static void expect_gpa(const struct guest_paging *p, u64 la, unsigned access, u64 want)
{
	u64 gpa = 0;
	u32 err = 0xdead;
	assert_int_equal(gva_translate(p, la, access, &gpa, &err), GVA_OK);
	assert_int_equal(gpa, want);
	assert_int_equal(err, 0);
}

/* Translate and expect a page fault with this error code. */
static void expect_pf(const struct guest_paging *p, u64 la, unsigned access, u32 want)
{
	u64 gpa;
	u32 err = 0xdead;
	assert_int_equal(gva_translate(p, la, access, &gpa, &err), GVA_PAGE_FAULT);
	assert_int_equal(err, want);
}

static void test_paging_off(void **state)
{
	(void)state;
	struct guest_paging p = paging(CR0_PE, 0, 0, 0);
	expect_gpa(&p, 0x12345678, GVA_WRITE | GVA_USER | GVA_FETCH, 0x12345678);
	expect_gpa(&p, 0x100001234ull, 0, 0x1234); /* linear addresses are 32 bits */
	p.efer = EFER_LMA;
	expect_gpa(&p, 0x100001234ull, 0, 0x100001234ull);
	assert_int_equal(reads, 0); /* no tables were read */
	memcpy(ram + 0x5ffe, "abcd", 4);
	char buf[4];
	assert_int_equal(gva_read(&p, 0x5ffe, buf, 4, 0, NULL), GVA_OK);
	assert_memory_equal(buf, "abcd", 4);
}

static void test_32bit_4k(void **state)
{
	(void)state;
	u64 pd = new_table();
	struct guest_paging p = paging(CR0_PE | CR0_PG, pd, 0, 0);
	map32(pd, 0x00401000, 0x5000 | P | RW, false);
	map32(pd, 0xc0000000, 0x7000 | P | RW | US, false);
	expect_gpa(&p, 0x00401123, GVA_WRITE, 0x5123);
	expect_gpa(&p, 0xc0000fff, GVA_USER | GVA_WRITE, 0x7fff);
	expect_gpa(&p, 0x1c0000fffull, 0, 0x7fff); /* bits above 31 are not part of la */
	expect_pf(&p, 0x00402000, 0, 0);	   /* PTE not present */
	expect_pf(&p, 0x00800000, GVA_WRITE | GVA_USER, E_W | E_U); /* PDE not present */
	expect_pf(&p, 0x00401000, GVA_USER, E_P | E_U);		    /* supervisor page */
	/* No NX in 32-bit paging: a fetch succeeds, and a failing fetch has no I bit. */
	p.efer = EFER_NXE;
	expect_gpa(&p, 0x00401000, GVA_FETCH, 0x5000);
	expect_pf(&p, 0x00402000, GVA_FETCH, 0);
	p.cr4 = CR4_SMEP; /* ...unless SMEP is on (SDM 4.7) */
	expect_pf(&p, 0x00402000, GVA_FETCH, E_I);
}

static void test_32bit_4m(void **state)
{
	(void)state;
	u64 pd = new_table();
	struct guest_paging p = paging(CR0_PE | CR0_PG, pd, CR4_PSE, 0);
	/* PSE-36: PDE bits 20:13 are physical bits 39:32. */
	map32(pd, 0x00c00000, 0x00c00000 | (0xa5u << 13) | P | RW | PS, true);
	map32(pd, 0x00400000, 0x00800000 | P | PS, true);
	expect_gpa(&p, 0x00d23456, GVA_WRITE, 0xa500d23456ull);
	expect_gpa(&p, 0x007fffff, 0, 0x00bfffff);
	map32(pd, 0x01000000, 0x01000000 | BIT(21) | P | PS, true);
	expect_pf(&p, 0x01000000, 0, E_P | E_RSVD); /* bit 21 of a 4 MiB PDE is reserved */
	/* Without CR4.PSE, PS is ignored: the PDE points at a page table, here outside RAM. */
	p.cr4 = 0;
	u64 gpa;
	u32 err;
	assert_int_equal(gva_translate(&p, 0x00d23456, 0, &gpa, &err), GVA_NO_MEMORY);
	/* ...and inside RAM it is walked as one. */
	map32(pd, 0x00400000, 0x00020000 | P | RW | PS, true);
	put32(0x20000 + 4 * 5, 0x9000 | P);
	expect_gpa(&p, 0x00405678, 0, 0x9678);
}

static void test_pae(void **state)
{
	(void)state;
	u64 pdpt = 0x1020; /* SDM 4.4.1: CR3[31:5], 32-byte aligned */
	u64 pd = new_table(), pd3 = new_table();
	struct guest_paging p = paging(CR0_PE | CR0_PG, pdpt | 0x7, CR4_PAE, 0);
	put64(pdpt + 8 * 1, pd | P);
	put64(pdpt + 8 * 3, pd3 | P);
	map64(pd, 2, 0x40201000, 0x6000, 1, P | RW);
	map64(pd, 2, 0x40400000, 0x12345600000ull, 2, P | RW | US);
	map64(pd3, 2, 0xc0000000, 0x8000, 1, P | RW | US);
	expect_gpa(&p, 0x40201abc, GVA_WRITE, 0x6abc);
	expect_gpa(&p, 0x405fffff, GVA_USER, 0x123457fffffull);
	expect_gpa(&p, 0xc0000010, GVA_USER | GVA_WRITE, 0x8010);
	expect_pf(&p, 0x00001000, GVA_WRITE, E_W);	/* PDPTE 0 not present */
	expect_pf(&p, 0x80000000, GVA_USER, E_U);	/* PDPTE 2 not present */
	expect_pf(&p, 0x40202000, 0, 0);		/* PTE not present */
	expect_pf(&p, 0x40201000, GVA_USER, E_P | E_U); /* supervisor page */
	/* The NX bit: reserved when NXE=0, honoured when NXE=1. */
	map64(pd, 2, 0x40203000, 0x7000, 1, P | NX);
	expect_pf(&p, 0x40203000, 0, E_P | E_RSVD);
	expect_pf(&p, 0x40203000, GVA_FETCH, E_P | E_RSVD);
	p.efer = EFER_NXE;
	expect_gpa(&p, 0x40203000, 0, 0x7000);
	expect_pf(&p, 0x40203000, GVA_FETCH, E_P | E_I);
	expect_pf(&p, 0x40202000, GVA_FETCH, E_I); /* I is set on not-present fetches too */
	/* 2 MiB page: bits 20:13 of its address are reserved. */
	map64(pd, 2, 0x40600000, 0x800000 | BIT(13), 2, P);
	expect_pf(&p, 0x40600000, 0, E_P | E_RSVD);
}

static struct guest_paging long_mode(u64 root)
{
	return paging(CR0_PE | CR0_PG, root, CR4_PAE, EFER_LME | EFER_LMA);
}

static void test_4level_pages(void **state)
{
	(void)state;
	u64 pml4 = new_table();
	struct guest_paging p = long_mode(pml4 | 0x18); /* PCD|PWT in CR3 are not address */
	map64(pml4, 4, 0x400000, 0x3000, 1, P | RW);
	map64(pml4, 4, 0x40000000, 0x5600000, 2, P | RW);
	map64(pml4, 4, 0x8000000000ull, 0x140000000ull, 3, P | RW);
	map64(pml4, 4, 0xffff800000001000ull, 0x123456789000ull, 1, P);
	expect_gpa(&p, 0x400fed, GVA_WRITE, 0x3fed);
	expect_gpa(&p, 0x401fffff, GVA_WRITE, 0x57fffff);
	expect_gpa(&p, 0x803fffffffull, 0, 0x17fffffffull);
	expect_gpa(&p, 0xffff800000001234ull, 0, 0x123456789234ull);
	expect_pf(&p, 0x401000, 0, 0);					  /* PTE */
	expect_pf(&p, 0x600000, GVA_WRITE, E_W);			  /* PDE */
	expect_pf(&p, 0xc0000000, GVA_USER, E_U);			  /* PDPTE */
	expect_pf(&p, 0x10000000000ull, GVA_WRITE | GVA_USER, E_W | E_U); /* PML4E */
	/* Bits 62:52 are ignored (software bits, protection keys): not reserved. */
	map64(pml4, 4, 0x402000, 0x4000 | BIT(58) | BIT(52) | BIT(62), 1, P);
	expect_gpa(&p, 0x402000, 0, 0x4000);
	/* A PTE's bit 7 is PAT, not PS. */
	map64(pml4, 4, 0x403000, 0x5000 | PS, 1, P);
	expect_gpa(&p, 0x403008, 0, 0x5008);
}

static void test_reserved_bits(void **state)
{
	(void)state;
	u64 pml4 = new_table();
	struct guest_paging p = long_mode(pml4);
	p.efer |= EFER_NXE;
	map64(pml4, 4, 0x200000, 0x400000 | BIT(13), 2, P | RW);
	expect_pf(&p, 0x200000, GVA_WRITE, E_P | E_W | E_RSVD);
	map64(pml4, 4, 0x80000000, 0x80000000 | BIT(29), 3, P | RW);
	expect_pf(&p, 0x80000000, 0, E_P | E_RSVD);
	map64(pml4, 4, 0xc0000000, 0xc0000000 | BIT(12), 3, P | RW); /* PAT bit: fine */
	expect_gpa(&p, 0xc0000000, 0, 0xc0000000);
	/* PS in a PML4E is reserved. */
	u64 at = slot64(pml4, 4, 0x8000000000ull, 4);
	put64(at, new_table() | P | RW | PS);
	expect_pf(&p, 0x8000000000ull, GVA_FETCH, E_P | E_RSVD | E_I);
	/* NX at an upper level with NXE=0 is a reserved-bit fault at that level. */
	map64(pml4, 4, 0x401000, 0x3000, 1, P | RW);
	at = slot64(pml4, 4, 0x401000, 3);
	put64(at, get64(at) | NX);
	p.efer &= ~EFER_NXE;
	expect_pf(&p, 0x401000, 0, E_P | E_RSVD);
	expect_pf(&p, 0x401000, GVA_FETCH, E_P | E_RSVD); /* no I without NXE or SMEP */
}

static void test_permissions(void **state)
{
	(void)state;
	u64 pml4 = new_table();
	struct guest_paging p = long_mode(pml4);
	map64(pml4, 4, 0x1000, 0x3000, 1, P);		/* read-only supervisor */
	map64(pml4, 4, 0x2000, 0x4000, 1, P | US);	/* read-only user */
	map64(pml4, 4, 0x3000, 0x5000, 1, P | RW | US); /* writable user */
	/* Supervisor writes to read-only pages pass without CR0.WP, fault with it. */
	expect_gpa(&p, 0x1000, GVA_WRITE, 0x3000);
	expect_gpa(&p, 0x2000, GVA_WRITE, 0x4000);
	p.cr0 |= CR0_WP;
	expect_pf(&p, 0x1000, GVA_WRITE, E_P | E_W);
	expect_pf(&p, 0x2000, GVA_WRITE, E_P | E_W);
	expect_gpa(&p, 0x3000, GVA_WRITE, 0x5000);
	/* User writes to read-only pages fault whatever WP says. */
	p.cr0 &= ~CR0_WP;
	expect_pf(&p, 0x2000, GVA_USER | GVA_WRITE, E_P | E_W | E_U);
	expect_gpa(&p, 0x2000, GVA_USER, 0x4000);
	expect_gpa(&p, 0x3000, GVA_USER | GVA_WRITE, 0x5000);
	/* User access to a supervisor page. */
	expect_pf(&p, 0x1000, GVA_USER, E_P | E_U);
	expect_pf(&p, 0x1000, GVA_USER | GVA_WRITE, E_P | E_W | E_U);
	expect_gpa(&p, 0x1000, 0, 0x3000);
}

/* R/W and U/S combine over every level: one clear bit anywhere denies. */
static void test_rights_combine(void **state)
{
	(void)state;
	u64 pml4 = new_table();
	struct guest_paging p = long_mode(pml4);
	p.cr0 |= CR0_WP;
	map64(pml4, 4, 0x1000, 0x3000, 1, P | RW | US);
	expect_gpa(&p, 0x1000, GVA_USER | GVA_WRITE, 0x3000);
	for (int level = 4; level >= 2; level--) {
		u64 at = slot64(pml4, 4, 0x1000, level);
		u64 e = get64(at);
		put64(at, e & ~RW);
		expect_pf(&p, 0x1000, GVA_WRITE, E_P | E_W);
		expect_gpa(&p, 0x1000, GVA_USER, 0x3000);
		put64(at, e & ~US);
		expect_pf(&p, 0x1000, GVA_USER, E_P | E_U);
		expect_gpa(&p, 0x1000, GVA_WRITE, 0x3000);
		put64(at, e);
	}
}

static void test_nx(void **state)
{
	(void)state;
	u64 pml4 = new_table();
	struct guest_paging p = long_mode(pml4);
	p.efer |= EFER_NXE;
	map64(pml4, 4, 0x1000, 0x3000, 1, P | RW | US | NX);
	map64(pml4, 4, 0x200000, 0x400000, 2, P | RW | US);
	expect_pf(&p, 0x1000, GVA_FETCH, E_P | E_I);
	expect_pf(&p, 0x1000, GVA_FETCH | GVA_USER, E_P | E_U | E_I);
	expect_gpa(&p, 0x1000, GVA_WRITE | GVA_USER, 0x3000);
	expect_gpa(&p, 0x200000, GVA_FETCH, 0x400000);
	/* NX on a table entry covers everything under it. */
	u64 at = slot64(pml4, 4, 0x200000, 3);
	put64(at, get64(at) | NX);
	expect_pf(&p, 0x200000, GVA_FETCH, E_P | E_I);
	expect_gpa(&p, 0x200000, 0, 0x400000);
	expect_pf(&p, 0x400000, GVA_FETCH, E_I); /* not present, NXE: I */
}

static void test_5level(void **state)
{
	(void)state;
	u64 pml5 = new_table();
	struct guest_paging p = long_mode(pml5);
	p.cr4 |= CR4_LA57;
	u64 la = 0x0001000000001000ull; /* bit 48: canonical only with 57 bits */
	map64(pml5, 5, la, 0x7000, 1, P | RW);
	map64(pml5, 5, 0xff00000000000000ull, 0x8000, 1, P);
	map64(pml5, 5, 0x40000000, 0x80000000, 3, P);
	expect_gpa(&p, la + 0x10, 0, 0x7010);
	expect_gpa(&p, 0xff00000000000abcull, 0, 0x8abc);
	expect_gpa(&p, 0x40001234, 0, 0x80001234);
	expect_pf(&p, 0x0100000000000000ull - 0x1000, 0, 0); /* top of the lower half */
	u64 gpa;
	assert_int_equal(gva_translate(&p, 0x0100000000000000ull, 0, &gpa, NULL), GVA_BAD_ADDRESS);
	assert_int_equal(gva_translate(&p, 0xfe00000000000000ull, 0, &gpa, NULL), GVA_BAD_ADDRESS);
	u64 at = slot64(pml5, 5, la, 5);
	put64(at, get64(at) | PS); /* PS is reserved in a PML5E too */
	expect_pf(&p, la, 0, E_P | E_RSVD);
	/* The same tables under 4-level paging: la is not canonical there. */
	p.cr4 &= ~CR4_LA57;
	assert_int_equal(gva_translate(&p, la, 0, &gpa, NULL), GVA_BAD_ADDRESS);
}

static void test_non_canonical(void **state)
{
	(void)state;
	u64 pml4 = new_table();
	struct guest_paging p = long_mode(pml4);
	const u64 bad[] = {0x0000800000000000ull, 0xffff7ffffffff000ull, 0x8000000000000000ull,
			   0x00ff000000000000ull};
	u64 gpa;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(gva_translate(&p, bad[i], 0, &gpa, NULL), GVA_BAD_ADDRESS);
	assert_int_equal(reads, 0);
	expect_pf(&p, 0x00007ffffffff000ull, 0, 0);
	expect_pf(&p, 0xffff800000000000ull, 0, 0);
	char c;
	assert_int_equal(gva_read(&p, 0x0000800000000000ull, &c, 1, 0, NULL), GVA_BAD_ADDRESS);
}

/* A table entry that points outside guest RAM, at every level and in every mode. */
static void test_no_memory(void **state)
{
	(void)state;
	u64 pml4 = new_table(), gpa;
	struct guest_paging p = long_mode(pml4);
	map64(pml4, 4, 0x1000, 0x3000, 1, P);
	for (int level = 4; level >= 2; level--) {
		u64 at = slot64(pml4, 4, 0x1000, level);
		u64 e = get64(at);
		put64(at, 0x80000000 | P | RW);
		assert_int_equal(gva_translate(&p, 0x1000, 0, &gpa, NULL), GVA_NO_MEMORY);
		put64(at, e);
	}
	expect_gpa(&p, 0x1000, 0, 0x3000);
	p.cr3 = 0x40000000; /* the root itself */
	assert_int_equal(gva_translate(&p, 0x1000, 0, &gpa, NULL), GVA_NO_MEMORY);
	p = paging(CR0_PE | CR0_PG, 0x40000000, CR4_PAE, 0);
	assert_int_equal(gva_translate(&p, 0x1000, 0, &gpa, NULL), GVA_NO_MEMORY);
	p = paging(CR0_PE | CR0_PG, 0x40000000, 0, 0);
	assert_int_equal(gva_translate(&p, 0x1000, 0, &gpa, NULL), GVA_NO_MEMORY);
	/* A leaf pointing outside RAM translates: the page may be MMIO; reading it fails. */
	map64(pml4, 4, 0x2000, 0xfee00000, 1, P);
	p = long_mode(pml4);
	expect_gpa(&p, 0x2010, 0, 0xfee00010);
	u32 v;
	assert_int_equal(gva_read(&p, 0x2010, &v, 4, 0, NULL), GVA_NO_MEMORY);
}

static void test_read_across_pages(void **state)
{
	(void)state;
	u64 pml4 = new_table();
	struct guest_paging p = long_mode(pml4);
	/* la 0x7000 -> 0x9000 and la 0x8000 -> 0x5000: neighbours in la, apart in gpa. */
	map64(pml4, 4, 0x7000, 0x9000, 1, P | RW);
	map64(pml4, 4, 0x8000, 0x5000, 1, P | RW);
	map64(pml4, 4, 0x9000, 0xb000, 1, P);
	for (int i = 0; i < 4096; i++) {
		ram[0x9000 + i] = (u8)(i & 0x7f);
		ram[0x5000 + i] = (u8)(0x80 | (i & 0x7f));
		ram[0xb000 + i] = (u8)(0xaa);
	}
	u8 buf[16];
	assert_int_equal(gva_read(&p, 0x7ff8, buf, sizeof(buf), 0, NULL), GVA_OK);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(buf[i], (0xff8 + i) & 0x7f);
		assert_int_equal(buf[8 + i], 0x80 | i);
	}
	/* Three pages in one read. */
	static u8 big[4096 + 32];
	assert_int_equal(gva_read(&p, 0x7ff0, big, sizeof(big), 0, NULL), GVA_OK);
	assert_int_equal(big[0], 0x70);
	assert_int_equal(big[16], 0x80);
	assert_int_equal(big[16 + 4095], 0x80 | 0x7f);
	assert_int_equal(big[16 + 4096], 0xaa);
	/* The second page faults: the error code is for that page. */
	u32 err = 0;
	p.cr0 |= CR0_WP;
	assert_int_equal(gva_read(&p, 0x8ff8, buf, sizeof(buf), GVA_WRITE, &err), GVA_PAGE_FAULT);
	assert_int_equal(err, E_P | E_W); /* la 0x9000 is read-only */
	assert_int_equal(gva_read(&p, 0x9ff8, buf, sizeof(buf), 0, &err), GVA_PAGE_FAULT);
	assert_int_equal(err, 0);
	assert_int_equal(gva_read(&p, 0x1000, buf, 0, 0, &err), GVA_OK); /* nothing to read */
}

/* The same split read under 32-bit and PAE paging. */
static void test_read_legacy_modes(void **state)
{
	(void)state;
	u64 pd = new_table();
	struct guest_paging p = paging(CR0_PE | CR0_PG, pd, 0, 0);
	map32(pd, 0xbffff000, 0x9000 | P, false);
	map32(pd, 0xc0000000, 0x5000 | P, false);
	memcpy(ram + 0x9ffe, "ab", 2);
	memcpy(ram + 0x5000, "cd", 2);
	char buf[4];
	assert_int_equal(gva_read(&p, 0xbffffffe, buf, 4, 0, NULL), GVA_OK);
	assert_memory_equal(buf, "abcd", 4);
	u64 pdpt = 0x1000, pae_pd2 = new_table(), pae_pd3 = new_table();
	p = paging(CR0_PE | CR0_PG, pdpt, CR4_PAE, 0);
	put64(pdpt + 16, pae_pd2 | P);
	put64(pdpt + 24, pae_pd3 | P);
	map64(pae_pd2, 2, 0xbffff000, 0x9000, 1, P);
	map64(pae_pd3, 2, 0xc0000000, 0x5000, 1, P);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(gva_read(&p, 0xbffffffe, buf, 4, 0, NULL), GVA_OK);
	assert_memory_equal(buf, "abcd", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_paging_off, reset),
		cmocka_unit_test_setup(test_32bit_4k, reset),
		cmocka_unit_test_setup(test_32bit_4m, reset),
		cmocka_unit_test_setup(test_pae, reset),
		cmocka_unit_test_setup(test_4level_pages, reset),
		cmocka_unit_test_setup(test_reserved_bits, reset),
		cmocka_unit_test_setup(test_permissions, reset),
		cmocka_unit_test_setup(test_rights_combine, reset),
		cmocka_unit_test_setup(test_nx, reset),
		cmocka_unit_test_setup(test_5level, reset),
		cmocka_unit_test_setup(test_non_canonical, reset),
		cmocka_unit_test_setup(test_no_memory, reset),
		cmocka_unit_test_setup(test_read_across_pages, reset),
		cmocka_unit_test_setup(test_read_legacy_modes, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
