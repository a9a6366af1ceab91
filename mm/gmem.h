/* A VM's guest-physical memory: its RAM, taken from keel's page pool in the largest runs
 * available, and the nested page table (NPT or EPT, in the backend's entry format) that maps
 * it. Nothing else is mapped: any other guest-physical access exits to keel, so a VM can
 * reach neither keel's memory nor another VM's.
 *
 * Layout: RAM fills [0, min(size, 3 GiB)); anything beyond goes at 4 GiB, leaving
 * [3 GiB, 4 GiB) for devices, as on a PC.
 *
 * Paged RAM: a clone's RAM, and the RAM of a VM a clone shares pages with, is kept page by page
 * (frames) rather than in runs, so that a page can be a frame shared with others (mm/mm.h
 * page_sharers > 0), mapped read-only, and exchanged for a private copy before it is written
 * (gmem_unshare). Page i is RAM page i counting [0, low_end) first, then from 4 GiB. */
#ifndef KEEL_GMEM_H
#define KEEL_GMEM_H

#include "mm/pagetable.h"

#define GMEM_LOW_MAX   (3 * GiB)
#define GMEM_HIGH_BASE (4 * GiB)

struct gmem_chunk {
	u64 gpa, hpa, len;
};

struct gmem {
	u64 size;    /* bytes of RAM */
	u64 low_end; /* end of RAM below 4 GiB */
	int nchunks;
	struct gmem_chunk *chunks; /* sorted by gpa */
	struct pt map;		   /* the nested page table */
	u64 *frames;		   /* paged RAM: host frame of page i (0: none yet); NULL: runs */
	/* Per 2 MiB of RAM (low RAM first, then high): GMEM_READY, GMEM_LAZY (neither cleared
	 * nor mapped yet) or GMEM_BUSY (being cleared). */
	u8 *slab;
	u64 nslabs;
	/* Called before keel itself writes [gpa, gpa+len) of RAM, by whoever must see such
	 * writes first (vm/snapmem.c copies pages before they change); false: the write must
	 * not happen. NULL: nobody. mm/ calls up only through this pointer. */
	bool (*write_hook)(void *owner, u64 gpa, u64 len);
	void *hook_owner;
};

enum { GMEM_READY, GMEM_LAZY, GMEM_BUSY };

/* Allocate size bytes (a multiple of 4 KiB) of RAM that reads as zero and map it; false (with
 * nothing left allocated) if memory runs out. Runs of 2 MiB and more are cleared and mapped
 * 2 MiB at a time on first use (gmem_fault, or any access through the functions below), as
 * KVM gives a guest its memory on demand: a guest that never touches a page costs no clearing. */
bool gmem_init(struct gmem *m, u64 size, const struct pt_format *fmt);
/* The guest faulted at gpa in the nested map: true if gpa is RAM that is mapped now (cleared
 * and mapped here or by another CPU meanwhile), so the access can be retried. */
bool gmem_fault(struct gmem *m, u64 gpa);
/* Clear and map every 2 MiB still waiting: before anything changes rights across the map. */
void gmem_populate_all(struct gmem *m);
void gmem_free(struct gmem *m);
/* A host pointer to [gpa, gpa+len) if it is RAM in one contiguous run; NULL otherwise. For
 * reads: keel writes through gmem_ptr_w's pointer, which first calls the write hook (NULL if
 * it refuses). */
void *gmem_ptr(const struct gmem *m, u64 gpa, u64 len);
void *gmem_ptr_w(const struct gmem *m, u64 gpa, u64 len);
bool gmem_is_ram(const struct gmem *m, u64 gpa);
/* Copy to or from guest RAM, across runs; false if any byte is not RAM. */
bool gmem_read(const struct gmem *m, u64 gpa, void *buf, u64 n);
bool gmem_write(const struct gmem *m, u64 gpa, const void *buf, u64 n);
bool gmem_zero(const struct gmem *m, u64 gpa, u64 n);
/* End of guest-physical RAM (exclusive), the highest address the guest can use as memory. */
u64 gmem_top(const struct gmem *m);
/* Bytes keel spends on the map and the bookkeeping. */
u64 gmem_overhead(const struct gmem *m);

/* ---- paged RAM (the clones) ---- */
/* Page index of RAM at gpa, ~0 if gpa is not RAM; and back. */
u64 gmem_index(const struct gmem *m, u64 gpa);
u64 gmem_index_gpa(const struct gmem *m, u64 i);
/* Like gmem_init, but with no RAM behind any page yet: gmem_set_frame gives each its frame. */
bool gmem_init_paged(struct gmem *m, u64 size, const struct pt_format *fmt);
/* Keep m's RAM page by page from now on (its runs become frames; the map is unchanged):
 * false if keel has no memory for the frame array. */
bool gmem_page_all(struct gmem *m);
/* The host frame of RAM page i (0 if none). */
u64 gmem_frame(const struct gmem *m, u64 i);
/* Paged RAM page i becomes frame pa (the caller's hold on it passes to m), mapped with prot;
 * the frame it had is let go. False if a table page could not be had (nothing changed). */
bool gmem_set_frame(struct gmem *m, u64 i, u64 pa, unsigned prot);
/* Paged RAM page i (with no frame yet) holds frame pa, the caller's hold on it passing to m;
 * gmem_map_frames then maps them all with prot, in 2 MiB pages where 512 frames lie aligned in
 * a row (a later gmem_set_frame splits one): false if a table page could not be had. */
void gmem_give_frame(struct gmem *m, u64 i, u64 pa);
bool gmem_map_frames(struct gmem *m, unsigned prot);
/* Before keel or the guest writes page i: if its frame is shared, give m a private copy
 * mapped with prot. 1: copied, 0: it was m's alone, -1: out of memory. Callers serialise. */
int gmem_unshare(struct gmem *m, u64 i, unsigned prot);
/* Whether page i's frame is shared with a snapshot or another VM. */
bool gmem_is_shared(const struct gmem *m, u64 i);
/* RAM pages whose frames m holds alone (all of them unless paged). */
u64 gmem_private_pages(const struct gmem *m);

#endif
