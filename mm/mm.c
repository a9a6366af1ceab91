/* keel's memory at run time: the one page pool (with its lock), the heap on top of it, and
 * keel's own page tables: all RAM identity-mapped read-write no-execute, keel's text read-only
 * executable, rodata read-only, page 0 and every stack guard unmapped. */
#include "mm/mm.h"
#include "kernel/bootinfo.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/x86.h"
#include "mm/heap.h"
#include "mm/memmap.h"
#include "mm/pagetable.h"
#include "mm/pmm.h"
#include "mm/x86pte.h"

extern u8 __image_start[], __text_end[], __rodata_end[], __image_end[];

#define MAX_RANGES 256

static struct pmm pool;
static u64 low_page; /* a free page below 1 MiB, for the AP trampoline */
static struct spinlock pool_lock;
static struct heap heap;
static struct spinlock heap_lock;
static struct pt kpt;
static u64 nx_bit;

/* keel's own tables: x86 entries, supervisor only. */
static u64 kpt_leaf(u64 pa, unsigned prot, int level)
{
	return x86_pte_leaf(pa, prot, level, nx_bit, 0);
}
static u64 kpt_table(u64 pa)
{
	return pa | X86_P | X86_RW;
}

static const struct pt_format kpt_format = {
	.name = "x86",
	.leaf = kpt_leaf,
	.table = kpt_table,
	.present = x86_pte_present,
	.is_leaf = x86_pte_is_leaf,
	.addr = x86_pte_addr,
	.prot = x86_pte_prot,
};

u64 pt_alloc_table_page(void)
{
	return page_alloc(1);
}

void pt_free_table_page(u64 pa)
{
	page_free(pa, 1);
}

/* No map at all: ask the CMOS, as BIOS-era code did (registers 0x34/0x35: 64 KiB units above
 * 16 MiB; 0x30/0x31: KiB above 1 MiB, up to 64 MiB). */
static u64 cmos_memory_end(void)
{
	outb(0x70, 0x34);
	u64 hi = inb(0x71);
	outb(0x70, 0x35);
	hi |= (u64)inb(0x71) << 8;
	if (hi && hi != 0xffff)
		return 16 * MiB + hi * 64 * KiB;
	outb(0x70, 0x30);
	u64 lo = inb(0x71);
	outb(0x70, 0x31);
	lo |= (u64)inb(0x71) << 8;
	return lo && lo != 0xffff ? 1 * MiB + lo * KiB : 0;
}

static void build_usable(const struct boot_info *bi, struct rangeset *rs)
{
	if (bi->nmem) {
		memmap_usable(bi->mem, bi->nmem, rs);
		return;
	}
	u64 end = 0;
	if (bi->has_meminfo) {
		end = 1 * MiB + (u64)bi->mem_upper_kib * KiB;
		log_warn("mm: no memory map from the loader; using its mem_upper (%llu MiB)",
			 (end / MiB));
	} else {
		end = cmos_memory_end();
		log_warn("mm: no memory information from the loader; CMOS says %llu MiB",
			 (end / MiB));
	}
	rs_add(rs, 1 * MiB, end);
	rs_align_inward(rs, PAGE_SIZE);
}

static bool map_kernel(u64 top)
{
	if (!pt_init(&kpt, &kpt_format))
		return false;
	u64 img = (u64)(uintptr_t)__image_start, text_end = (u64)(uintptr_t)__text_end;
	u64 ro_end = (u64)(uintptr_t)__rodata_end,
	    img_end = ALIGN_UP((u64)(uintptr_t)__image_end, PAGE_SIZE);
	bool ok = pt_map(&kpt, 0, 0, top, PT_R | PT_W, false) &&
		  pt_unmap(&kpt, 0, PAGE_SIZE) && /* page 0: catch NULL dereferences */
		  pt_protect(&kpt, img, text_end - img, PT_R | PT_X) &&
		  pt_protect(&kpt, text_end, ro_end - text_end, PT_R) &&
		  pt_protect(&kpt, ro_end, img_end - ro_end, PT_R | PT_W);
	if (!ok)
		return false;
	write_cr3(kpt.root);
	return true;
}

bool mm_init(const struct boot_info *bi, const u64 *extra, int nextra)
{
	static struct range rbuf[MAX_RANGES];
	struct rangeset rs = {rbuf, 0, MAX_RANGES, false};

	nx_bit = (rdmsr(MSR_EFER) & EFER_NXE) ? X86_NX : 0;
	build_usable(bi, &rs);
	u64 seen = rs_total(&rs);

	/* Everything below 1 MiB belongs to the firmware (BIOS data, EBDA, option ROMs; under
	 * OVMF, GRUB may even put a module there); keel's own image; the loader's structures. */
	for (int i = 0; i < rs.n && !low_page; i++) {
		u64 a = MAX(rs.r[i].start, 0x1000ull);
		if (a + PAGE_SIZE <= MIN(rs.r[i].end, 0x9f000ull))
			low_page = a;
	}
	rs_sub(&rs, 0, 1 * MiB);
	rs_sub(&rs, (u64)(uintptr_t)__image_start,
	       ALIGN_UP((u64)(uintptr_t)__image_end, PAGE_SIZE));
	for (int i = 0; i < bi->reserved.n; i++)
		rs_sub(&rs, bi->reserved.r[i].start, bi->reserved.r[i].end);
	for (int i = 0; i < bi->nmods; i++)
		rs_sub(&rs, ALIGN_DOWN(bi->mods[i].start, PAGE_SIZE),
		       ALIGN_UP(bi->mods[i].end, PAGE_SIZE));
	for (int i = 0; i + 1 < 2 * nextra; i += 2)
		rs_sub(&rs, ALIGN_DOWN(extra[i], PAGE_SIZE), ALIGN_UP(extra[i + 1], PAGE_SIZE));
	if (!rs.n) {
		log_err("mm: no usable memory");
		return false;
	}

	u64 top = rs.r[rs.n - 1].end;
	u64 bm_bytes = ALIGN_UP(pmm_bitmap_bytes(top), PAGE_SIZE);
	u64 bm = 0;
	for (int i = 0; i < rs.n && !bm; i++)
		if (rs.r[i].end - rs.r[i].start >= bm_bytes && rs.r[i].end <= 4 * GiB)
			bm = rs.r[i].start;
	if (!bm) {
		log_err("mm: no room below 4 GiB for the %llu KiB page bitmap", (bm_bytes / KiB));
		return false;
	}
	rs_sub(&rs, bm, bm + bm_bytes);
	pmm_init(&pool, (u64 *)(uintptr_t)bm, top, &rs);
	heap.page_alloc = page_alloc;
	heap.page_free = page_free;
	u64 nref = ALIGN_UP(pmm_refs_bytes(&pool), PAGE_SIZE) / PAGE_SIZE;
	u64 refs = pmm_alloc(&pool, nref, 1, 0);
	if (!refs) {
		log_err("mm: no room for the pages' share counts");
		return false;
	}
	memset(phys_to_virt(refs), 0, nref * PAGE_SIZE);
	pmm_set_refs(&pool, phys_to_virt(refs));

	if (!map_kernel(MAX(top, 4 * GiB))) {
		log_err("mm: out of memory building keel's page tables");
		return false;
	}
	log_info("mm: %llu MiB of RAM in the map, %llu MiB free (%d ranges), top %#llx, "
		 "page tables %llu KiB",
		 (seen / MiB), (pool.nfree * PAGE_SIZE / MiB), rs.n, top, (kpt.pages * 4));
	return true;
}

u64 page_alloc_uncleared(u64 npages, u64 align_bytes)
{
	u64 align = MAX(align_bytes / PAGE_SIZE, 1ull);
	u64 flags = spin_lock_irq(&pool_lock);
	u64 pa = pmm_alloc(&pool, npages, align, 0);
	spin_unlock_irq(&pool_lock, flags);
	return pa;
}

u64 page_alloc_aligned(u64 npages, u64 align_bytes)
{
	u64 pa = page_alloc_uncleared(npages, align_bytes);
	if (pa)
		memset(phys_to_virt(pa), 0, npages * PAGE_SIZE);
	return pa;
}

u64 page_alloc(u64 npages)
{
	return page_alloc_aligned(npages, PAGE_SIZE);
}

void page_free(u64 pa, u64 npages)
{
	u64 flags = spin_lock_irq(&pool_lock);
	bool ok = pmm_free(&pool, pa, npages);
	spin_unlock_irq(&pool_lock, flags);
	if (!ok)
		panic("page_free: %#llx (+%llu pages) was not allocated", pa, npages);
}

void page_ref(u64 pa)
{
	u64 flags = spin_lock_irq(&pool_lock);
	bool ok = pmm_ref(&pool, pa);
	spin_unlock_irq(&pool_lock, flags);
	if (!ok)
		panic("page_ref: %#llx is not a shareable page", pa);
}

void page_unref(u64 pa)
{
	bool freed;
	u64 flags = spin_lock_irq(&pool_lock);
	bool ok = pmm_unref(&pool, pa, &freed);
	spin_unlock_irq(&pool_lock, flags);
	if (!ok)
		panic("page_unref: %#llx was not allocated", pa);
}

u32 page_sharers(u64 pa)
{
	return __atomic_load_n(&pool.refs, __ATOMIC_RELAXED) ? pmm_sharers(&pool, pa) : 0;
}

u64 mm_free_pages(void)
{
	return pool.nfree;
}

u64 mm_total_pages(void)
{
	return pool.ntotal;
}

void *kmalloc(size_t size)
{
	u64 flags = spin_lock_irq(&heap_lock);
	void *p = heap_alloc(&heap, size);
	spin_unlock_irq(&heap_lock, flags);
	return p;
}

void kfree(void *p)
{
	u64 flags = spin_lock_irq(&heap_lock);
	bool ok = heap_free(&heap, p);
	spin_unlock_irq(&heap_lock, flags);
	if (!ok)
		panic("kfree: %p is not a live heap block", p);
}

u64 heap_bytes_in_use(void)
{
	return heap.in_use;
}

static void unmap_page(u64 va)
{
	if (!pt_unmap(&kpt, va, PAGE_SIZE))
		panic("mm: cannot unmap %#llx", va);
	invlpg(va);
}

void mm_guard_page(u64 va)
{
	unmap_page(ALIGN_DOWN(va, PAGE_SIZE));
}

u64 stack_alloc(u64 pages)
{
	u64 pa = page_alloc(pages + 1);
	if (!pa)
		return 0;
	unmap_page(pa); /* the guard: an overflow faults instead of corrupting memory */
	return pa + (pages + 1) * PAGE_SIZE;
}

u64 mm_low_page(void)
{
	return low_page;
}

void mm_set_exec(u64 pa)
{
	if (!pt_protect(&kpt, ALIGN_DOWN(pa, PAGE_SIZE), PAGE_SIZE, PT_R | PT_W | PT_X))
		panic("mm: cannot make %#llx executable", pa);
	invlpg(pa);
}

void mm_map_device(u64 pa, u64 len)
{
	u64 a = ALIGN_DOWN(pa, PAGE_SIZE), b = ALIGN_UP(pa + len, PAGE_SIZE);
	if (!pt_map(&kpt, a, a, b - a, PT_R | PT_W | PT_UC, true))
		panic("mm: cannot map device memory at %#llx", pa);
	for (u64 v = a; v < b; v += PAGE_SIZE)
		invlpg(v);
}
