/* A VM's memory in its snapshots (README "Snapshots"): copy-before-write through the nested
 * page table. Taking a snapshot copies nothing: it write-protects the VM's RAM, and the first
 * write to each page after it (by the guest, through a nested page fault, or by keel itself,
 * through gmem's write hook) first copies the page's old contents into the newest snapshot.
 * A snapshot's memory is therefore, page by page, the first copy found in it or a newer
 * snapshot, else the VM's RAM as it is. Rolling back restores only the pages that differ: on
 * the first load of a snapshot the pages written since it was taken, after that the pages
 * written since the last load. Every call here but the fault hook needs the VM paused. */
#ifndef KEEL_SNAPMEM_H
#define KEEL_SNAPMEM_H

#include "vm/vm.h"

struct snapmem; /* one snapshot's memory */

/* A new snapshot of vm's RAM, the newest: NULL if keel has no memory for its bookkeeping. */
struct snapmem *snapmem_take(struct vm *vm);
/* Roll vm's RAM back to s (one of vm's): false if keel ran out of memory (RAM unchanged). */
bool snapmem_restore(struct vm *vm, struct snapmem *s);
/* Forget s, keeping every other snapshot of vm whole. */
void snapmem_drop(struct vm *vm, struct snapmem *s);
/* Forget every snapshot of vm (vm_destroy): its RAM is writable again. */
void snapmem_drop_all(struct vm *vm);
/* The 4 KiB page at gpa (page-aligned RAM) as snapshot s holds it, into buf: false if gpa is
 * not RAM. For clones and export. */
bool snapmem_read_page(struct vm *vm, const struct snapmem *s, u64 gpa, void *buf);
/* Give clone (a new VM, not started, with paged RAM of s's VM's size and no frames yet:
 * loader/vmconfig.h vm_create_like) the RAM of s, sharing every frame read-only: a page is
 * copied only when the clone, or s's VM, writes it (README "Snapshots: clones"). s's VM is
 * paused; its RAM is paged from now on. False if keel ran out of memory (clone's RAM partly
 * given: free it). */
bool snapmem_clone(struct vm *clone, const struct snapmem *s);
/* Pages s holds copies of, and pages written since the last snapshot or load (statistics). */
u64 snapmem_pages(const struct snapmem *s);
u64 snapmem_dirty_pages(const struct vm *vm);
/* Pages the last snapmem_restore of vm copied back (statistics, the benchmarks). */
u64 snapmem_restored_pages(const struct vm *vm);
/* A guest write to RAM at gpa faulted (exit_npf): true if it was a write-protected page of a
 * VM with snapshots, now copied and writable (the vCPU retries the write). Any vCPU, any CPU. */
bool snapmem_write_fault(struct vm *vm, u64 gpa);

/* Live migration's dirty log (mgmt/migrate.c): the same write protection, copying nothing.
 * Start write-protects all RAM of vm (which has no snapshots: false otherwise, or when keel has
 * no memory for the bitmap); each write after it marks its page. Take hands the marked pages
 * over as a bitmap (bit i: RAM page i, below 4 GiB first, then from 4 GiB; bits has
 * DIV_ROUND_UP(RAM pages, 64) words), write-protects them again and returns how many there
 * were. Stop makes RAM writable again. All three need vm paused. */
bool snapmem_log_start(struct vm *vm);
u64 snapmem_log_take(struct vm *vm, u64 *bits);
void snapmem_log_stop(struct vm *vm);
/* True while vm's writes are logged (no snapshot may be taken meanwhile). */
bool snapmem_logging(const struct vm *vm);

#endif
