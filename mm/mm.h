/* keel's memory: physical pages, the heap, and the identity map keel runs on. */
#ifndef KEEL_MM_H
#define KEEL_MM_H

#include "lib/types.h"

struct boot_info;

/* keel maps all physical memory at its own address (identity), so these are casts. */
static inline void *phys_to_virt(u64 pa)
{
	return (void *)(uintptr_t)pa;
}
static inline u64 virt_to_phys(const void *va)
{
	return (u64)(uintptr_t)va;
}

/* Start-up: build the free-page pool from the loader's map minus what is taken (keel's image,
 * the loader's structures, the modules, ACPI tables, everything under 1 MiB), then switch to
 * keel's own page tables. Returns false if no memory is usable at all. */
bool mm_init(const struct boot_info *bi, const u64 *extra_reserved, int nextra);

/* Physical pages, zeroed. 0 when memory is exhausted: callers turn that into a clean error. */
u64 page_alloc(u64 npages);
u64 page_alloc_aligned(u64 npages, u64 align_bytes);
/* As page_alloc_aligned, but the pages keep whatever they held: for a caller that clears
 * them itself, later (mm/gmem.c clears guest RAM on first use). */
u64 page_alloc_uncleared(u64 npages, u64 align_bytes);
void page_free(u64 pa, u64 npages);
/* A shared page (mm/pmm.h): one more holder; let go of it (the last holder frees it); how
 * many holders it has beyond one (0: its holder alone may write it). */
void page_ref(u64 pa);
void page_unref(u64 pa);
u32 page_sharers(u64 pa);
u64 mm_free_pages(void);
u64 mm_total_pages(void);

/* The kernel heap. kmalloc returns zeroed memory, 16-byte aligned, or NULL. */
void *kmalloc(size_t size);
void kfree(void *p);
u64 heap_bytes_in_use(void);

/* Unmap the page holding va: a guard below a static stack. */
void mm_guard_page(u64 va);

/* A stack of `pages` pages with an unmapped guard page below it; returns its top, 0 if none. */
u64 stack_alloc(u64 pages);

/* A free page below 1 MiB that the page pool never hands out (0 if the map had none): the
 * application processors' start-up code lives there. */
u64 mm_low_page(void);
/* Make one page of the identity map executable (the AP trampoline). */
void mm_set_exec(u64 pa);

/* Map device memory uncached in keel's address space (it is identity-mapped already). */
void mm_map_device(u64 pa, u64 len);

#endif
