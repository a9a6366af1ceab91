/* Guest linear -> guest-physical translation by walking the guest's own page tables (pure C,
 * host-tested). Used to fetch the instruction behind an MMIO exit and to read buffers a
 * hypercall points at. Covers every paging mode: off, 32-bit (with 4 MiB pages), PAE and
 * 4-level (SDM vol. 3 chapter 4). */
#ifndef KEEL_GVA_H
#define KEEL_GVA_H

#include "lib/types.h"

struct guest_paging {
	u64 cr0, cr3, cr4, efer; /* the guest's; EFER.LMA says long mode */
	/* Read n bytes at guest-physical gpa into buf; false if gpa is not guest RAM. */
	bool (*read)(void *ctx, u64 gpa, void *buf, size_t n);
	void *ctx;
};

/* Access kinds, combinable. */
#define GVA_WRITE 1u /* a write */
#define GVA_USER  2u /* from CPL 3 */
#define GVA_FETCH 4u /* an instruction fetch */

/* Results. On GVA_PAGE_FAULT *pf_error holds the #PF error code the CPU would push
 * (P, W/R, U/S, RSVD, I/D bits: SDM 4.7). */
#define GVA_OK		0
#define GVA_PAGE_FAULT	(-1) /* the guest's tables deny or lack the translation */
#define GVA_BAD_ADDRESS (-2) /* non-canonical in long mode */
#define GVA_NO_MEMORY	(-3) /* a page-table entry sits outside guest RAM */

int gva_translate(const struct guest_paging *p, u64 la, unsigned access, u64 *gpa, u32 *pf_error);
/* Read n bytes at linear address la, crossing pages as needed. */
int gva_read(const struct guest_paging *p, u64 la, void *buf, size_t n, unsigned access,
	     u32 *pf_error);

#endif
