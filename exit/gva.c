/* Guest linear -> guest-physical translation (pure C, host-tested), SDM vol. 3 chapter 4. One
 * walker serves every paging mode: a mode is a table shape (levels, entry size, index width,
 * where large pages may be). PAE's four PDPTEs are read first, then walked like the rest.
 *
 * The guest's MAXPHYADDR is not known here, so it is taken as 52: no physical-address bit of an
 * entry is reserved. Bits 62:52 of 64-bit entries are ignored by the CPU (software bits and
 * protection keys, which guests use) and so are not reserved either; bit 63 is reserved when
 * EFER.NXE=0, as are the low bits of a large-page address and PS in a PML4E/PML5E. */
#include "exit/gva.h"
#include "lib/string.h"
#include "kernel/x86.h"

/* SDM 4.5 tables 4-14 to 4-20: the entry bits the walk reads. */
#define PTE_P	     BIT(0)
#define PTE_RW	     BIT(1)
#define PTE_US	     BIT(2)
#define PTE_PS	     BIT(7)
#define PTE_NX	     BIT(63)
#define PTE_ADDR     0x000ffffffffff000ull /* bits 51:12 of a 64-bit entry */
#define PTE32_ADDR   0xfffff000ull	   /* bits 31:12 of a 32-bit entry */
#define PDE32_4M     0xffc00000ull	   /* bits 31:22 of a 4 MiB PDE */
#define PAE_CR3_ADDR 0xffffffe0ull	   /* SDM 4.4.1: the PDPT is 32-byte aligned */

/* SDM 4.7: the #PF error code. */
#define PF_P	BIT(0) /* the entry was present: a protection or reserved-bit fault */
#define PF_W	BIT(1)
#define PF_U	BIT(2)
#define PF_RSVD BIT(3)
#define PF_I	BIT(4)

/* A paging mode's tables (SDM 4.3 to 4.5). Levels count from 1, the page table. */
struct shape {
	u8 levels;     /* table levels below the root pointer */
	u8 entry_size; /* bytes per entry: 4 or 8 */
	u8 index_bits; /* linear-address bits per level: 10 or 9 */
	u8 large;      /* bit L set: PS=1 at level L maps a page */
};

/* PG_PAE is the part below the PDPT, which pae_walk() reads first. */
enum paging_mode { PG_32BIT, PG_32BIT_PSE, PG_PAE, PG_4LEVEL, PG_5LEVEL };

static const struct shape shapes[] = {
	[PG_32BIT] = {.levels = 2, .entry_size = 4, .index_bits = 10},
	[PG_32BIT_PSE] = {.levels = 2, .entry_size = 4, .index_bits = 10, .large = BIT(2)},
	[PG_PAE] = {.levels = 2, .entry_size = 8, .index_bits = 9, .large = BIT(2)},
	[PG_4LEVEL] = {.levels = 4, .entry_size = 8, .index_bits = 9, .large = BIT(2) | BIT(3)},
	[PG_5LEVEL] = {.levels = 5, .entry_size = 8, .index_bits = 9, .large = BIT(2) | BIT(3)},
};

/* The rights granted by every entry on the way down (SDM 4.6: they combine). */
struct rights {
	bool rw, us, nx;
};

/* Store the error code the CPU would push and report the fault. */
static int page_fault(const struct guest_paging *p, unsigned access, u32 bits, u32 *pf_error)
{
	bool fetch = access & GVA_FETCH;
	/* SDM 4.7: I is set for fetches only where NX exists (PAE paths with NXE) or under SMEP. */
	bool nx_paging = (p->cr4 & CR4_PAE) && (p->efer & EFER_NXE);
	if (access & GVA_WRITE)
		bits |= PF_W;
	if (access & GVA_USER)
		bits |= PF_U;
	if (fetch && (nx_paging || (p->cr4 & CR4_SMEP)))
		bits |= PF_I;
	if (pf_error)
		*pf_error = bits;
	return GVA_PAGE_FAULT;
}

/* Is a reserved bit set in this present entry? */
static bool reserved(const struct guest_paging *p, const struct shape *s, u64 e, int level,
		     bool large, unsigned shift)
{
	if (s->entry_size == 4)
		return large && (e & BIT(21)); /* SDM table 4-4: bit 21 of a 4 MiB PDE */
	if ((e & PTE_NX) && !(p->efer & EFER_NXE))
		return true;
	if ((e & PTE_PS) && level >= 4)
		return true; /* SDM tables 4-14, 4-15: PS must be 0 in a PML5E or PML4E */
	/* A large page's address bits below its alignment, above the PAT bit (12). */
	return large && (e & (BIT(shift) - 1) & ~(BIT(13) - 1));
}

/* SDM 4.6.1: does the access break the combined rights? */
static bool denied(const struct guest_paging *p, unsigned access, const struct rights *r)
{
	bool user = access & GVA_USER;
	if (user && !r->us)
		return true;
	if ((access & GVA_WRITE) && !r->rw && (user || (p->cr0 & CR0_WP)))
		return true;
	return (access & GVA_FETCH) && r->nx;
}

/* The physical base of the page a leaf entry maps. */
static u64 frame(const struct shape *s, u64 e, unsigned shift)
{
	if (s->entry_size == 8)
		return e & PTE_ADDR & ~(BIT(shift) - 1);
	if (shift == 12)
		return e & PTE32_ADDR;
	return (e & PDE32_4M) | (((e >> 13) & 0xff) << 32); /* SDM 4.3: PSE-36 bits 39:32 */
}

/* Walk from the table at gpa table down to the leaf that maps la, checking as the CPU does. */
static int walk(const struct guest_paging *p, const struct shape *s, u64 table, u64 la,
		unsigned access, u64 *gpa, u32 *pf_error)
{
	struct rights r = {.rw = true, .us = true};
	for (int level = s->levels;; level--) {
		unsigned shift = PAGE_SHIFT + s->index_bits * (unsigned)(level - 1);
		u64 index = (la >> shift) & (BIT(s->index_bits) - 1);
		u64 e = 0; /* little-endian: a 4-byte entry fills the low half */
		if (!p->read(p->ctx, table + index * s->entry_size, &e, s->entry_size))
			return GVA_NO_MEMORY;
		if (!(e & PTE_P))
			return page_fault(p, access, 0, pf_error);
		bool large = level > 1 && (e & PTE_PS) && (s->large & BIT(level));
		if (reserved(p, s, e, level, large, shift))
			return page_fault(p, access, PF_P | PF_RSVD, pf_error);
		r.rw = r.rw && (e & PTE_RW);
		r.us = r.us && (e & PTE_US);
		r.nx = r.nx || (s->entry_size == 8 && (e & PTE_NX));
		if (level == 1 || large) {
			if (denied(p, access, &r))
				return page_fault(p, access, PF_P, pf_error);
			*gpa = frame(s, e, shift) | (la & (BIT(shift) - 1));
			return GVA_OK;
		}
		table = e & (s->entry_size == 8 ? PTE_ADDR : PTE32_ADDR);
	}
}

/* SDM 4.5.1: bits 63:48 (63:57 with LA57) must copy bit 47 (56). */
static bool canonical(u64 la, unsigned bits)
{
	s64 high = (s64)la >> (bits - 1);
	return high == 0 || high == -1;
}

/* SDM 4.4.1: PAE's PDPTEs carry only P and the address; the CPU checks their reserved bits when
 * CR3 is loaded (#GP), so a guest running with one set cannot exist. */
static int pae_walk(const struct guest_paging *p, u64 la, unsigned access, u64 *gpa, u32 *pf_error)
{
	u64 pdpte = 0;
	u64 at = (p->cr3 & PAE_CR3_ADDR) + 8 * ((la >> 30) & 3);
	if (!p->read(p->ctx, at, &pdpte, 8))
		return GVA_NO_MEMORY;
	if (!(pdpte & PTE_P))
		return page_fault(p, access, 0, pf_error);
	return walk(p, &shapes[PG_PAE], pdpte & PTE_ADDR, la, access, gpa, pf_error);
}

/* Pick the paging mode from CR0, CR4 and EFER, and walk it. pf_error may be NULL. */
int gva_translate(const struct guest_paging *p, u64 la, unsigned access, u64 *gpa, u32 *pf_error)
{
	bool long_mode = p->efer & EFER_LMA;
	if (pf_error)
		*pf_error = 0;
	if (!long_mode)
		la = (u32)la; /* linear addresses are 32 bits outside long mode */
	if (!(p->cr0 & CR0_PG)) {
		*gpa = la;
		return GVA_OK;
	}
	if (long_mode) {
		bool la57 = p->cr4 & CR4_LA57;
		if (!canonical(la, la57 ? 57 : 48))
			return GVA_BAD_ADDRESS;
		return walk(p, &shapes[la57 ? PG_5LEVEL : PG_4LEVEL], p->cr3 & PTE_ADDR, la, access,
			    gpa, pf_error);
	}
	if (p->cr4 & CR4_PAE)
		return pae_walk(p, la, access, gpa, pf_error);
	/* SDM 4.3: CR4.PSE enables 4 MiB pages in 32-bit paging; without it PDE.PS is ignored. */
	return walk(p, &shapes[(p->cr4 & CR4_PSE) ? PG_32BIT_PSE : PG_32BIT], p->cr3 & PTE32_ADDR,
		    la, access, gpa, pf_error);
}

/* Copy guest memory page by page; a fault or a hole stops the copy part-way. */
int gva_read(const struct guest_paging *p, u64 la, void *buf, size_t n, unsigned access,
	     u32 *pf_error)
{
	u8 *dst = buf;
	while (n) {
		/* Each page separately: neighbours in linear space need not be in physical. */
		size_t chunk = (size_t)MIN((u64)n, PAGE_SIZE - (la & (PAGE_SIZE - 1)));
		u64 gpa;
		int r = gva_translate(p, la, access, &gpa, pf_error);
		if (r)
			return r;
		if (!p->read(p->ctx, gpa, dst, chunk))
			return GVA_NO_MEMORY; /* the page itself is not RAM (MMIO, or beyond) */
		dst += chunk;
		la += chunk;
		n -= chunk;
	}
	return GVA_OK;
}
