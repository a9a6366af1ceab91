/* Snapshot memory by copy-before-write (vm/snapmem.h, README "Snapshots: memory").
 *
 * A VM's snapshots s1..sn (oldest first) each hold a sparse map guest page -> copy. For every
 * page p: either sn holds p or RAM at p equals sn's content, and p is writable in the nested
 * page table only if sn holds p. A snapshot's content at p is the copy in the first of it and
 * the newer ones that holds p, else the RAM. The pages written since the last take or restore
 * (D) are exactly the writable ones: a take write-protects D (all RAM the first time, 2 MiB
 * mappings staying whole until a write splits them), a restore resets D (or, away from the
 * last snapshot taken or loaded, every page the snapshots from the target on hold) and
 * write-protects it again. So every cost is in the pages that changed, not in RAM.
 *
 * Locking: the set's lock covers the snapshots, D and the rights of RAM in the nested table.
 * Faults come from any vCPU on any CPU; keel's own writes through gmem's hook from any CPU.
 * Take, restore and drop need the VM paused and its devices quiet (nothing writing its RAM
 * while they run), as vm/snapmem.h says. */
#include "vm/snapmem.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "vm/virt.h"

#define LEAF_PAGES	   512 /* host page addresses per leaf: one 4 KiB page covers 2 MiB of RAM */
#define RO		   (PT_R | PT_X)
#define RW		   (PT_R | PT_W | PT_X)
#define DIV_ROUND_UP(a, b) (((a) + (b)-1) / (b))

struct snapset;

struct snapmem {
	struct snapset *set;
	struct snapmem *older, *newer;
	u64 **leaf; /* [ntop]: LEAF_PAGES host addresses of copies (0: not held), or NULL */
	u64 held;   /* copies held */
};

/* One VM's snapshots, found through its gmem's hook owner. */
struct snapset {
	struct spinlock lock;
	struct vm *vm;
	u64 npages, lowp, ntop; /* RAM pages, those below 4 GiB, leaves per snapshot */
	u32 n;
	struct snapmem *oldest, *newest;
	struct snapmem *base; /* the last taken or loaded: RAM differs from it only in D */
	u64 *dirty;	      /* D, one bit per RAM page */
	u64 ndirty;
	u64 *scratch; /* a restore's pages to reset */
	u64 restored; /* pages the last restore copied */
	bool logging; /* a migration logs writes in D (no snapshots meanwhile) */
};

/* ---- pages and bitmaps ---------------------------------------------------------------- */

/* Page index of gpa in RAM ([0, low_end) then [4 GiB, top)), or ~0 when gpa is not RAM. */
static u64 page_index(const struct snapset *set, u64 gpa)
{
	const struct gmem *m = &set->vm->mem;
	if (gpa < m->low_end)
		return gpa >> PAGE_SHIFT;
	if (gpa >= GMEM_HIGH_BASE && gpa < gmem_top(m))
		return set->lowp + ((gpa - GMEM_HIGH_BASE) >> PAGE_SHIFT);
	return ~0ull;
}

static u64 page_gpa(const struct snapset *set, u64 i)
{
	return i < set->lowp ? i << PAGE_SHIFT : GMEM_HIGH_BASE + ((i - set->lowp) << PAGE_SHIFT);
}

/* keel's pointer to RAM page i. */
static u8 *ram_page(const struct snapset *set, u64 i)
{
	return gmem_ptr(&set->vm->mem, page_gpa(set, i), PAGE_SIZE);
}

static bool bit_test(const u64 *b, u64 i)
{
	return b[i / 64] >> (i % 64) & 1;
}

static void bit_set(u64 *b, u64 i)
{
	b[i / 64] |= 1ull << (i % 64);
}

static u64 bitmap_bytes(const struct snapset *set)
{
	return DIV_ROUND_UP(set->npages, 64) * sizeof(u64);
}

/* The next set bit of b at or after i, or npages. Whole zero words are skipped. */
static u64 bit_next(const struct snapset *set, const u64 *b, u64 i)
{
	while (i < set->npages) {
		u64 w = b[i / 64] >> (i % 64);
		if (w)
			return i + (u64)__builtin_ctzll(w);
		i = (i / 64 + 1) * 64;
	}
	return set->npages;
}

/* The copy s holds of page i, 0 if none. */
static u64 held_at(const struct snapmem *s, u64 i)
{
	const u64 *leaf = s->leaf[i / LEAF_PAGES];
	return leaf ? leaf[i % LEAF_PAGES] : 0;
}

/* s now holds copy pa of page i; false if there is no memory for the leaf. */
static bool hold(struct snapmem *s, u64 i, u64 pa)
{
	u64 **leaf = &s->leaf[i / LEAF_PAGES];
	if (!*leaf) {
		u64 t = page_alloc(1);
		if (!t)
			return false;
		*leaf = phys_to_virt(t);
	}
	(*leaf)[i % LEAF_PAGES] = pa;
	s->held++;
	return true;
}

/* Page i as snapshot s has it: the copy of the first of s and the newer ones holding it,
 * else the RAM. */
static const u8 *content(const struct snapmem *s, u64 i)
{
	for (; s; s = s->newer) {
		u64 pa = held_at(s, i);
		if (pa)
			return phys_to_virt(pa);
	}
	return NULL;
}

static const u8 *content_or_ram(const struct snapmem *s, u64 i)
{
	const u8 *p = content(s, i);
	return p ? p : ram_page(s->set, i);
}

/* Give the newest snapshot a copy of RAM page i if it has none: false when out of memory. A
 * shared frame (a clone's, or one a clone shares) never changes: the snapshot holds it too. */
static bool save_ram(struct snapset *set, u64 i)
{
	if (held_at(set->newest, i))
		return true;
	struct gmem *m = &set->vm->mem;
	u64 pa = gmem_is_shared(m, i) ? gmem_frame(m, i) : 0;
	if (pa)
		page_ref(pa);
	else if ((pa = page_alloc(1)))
		memcpy(phys_to_virt(pa), ram_page(set, i), PAGE_SIZE);
	else
		return false;
	if (!hold(set->newest, i, pa)) {
		page_unref(pa);
		return false;
	}
	return true;
}

/* ---- the write path ------------------------------------------------------------------- */

/* Copy before the first write to page i since the last take or restore, and let it be
 * written; a shared frame gets a private copy first. Without snapshots or a log only that is
 * left to do, and a guest's write (fault) to a page that was read-only for sharing makes it
 * writable. NULL, or why it cannot (the caller stops the VM outside the lock). */
static const char *cow_page(struct snapset *set, u64 i, bool fault, bool *changed)
{
	bool track = set->n || set->logging;
	if (track && bit_test(set->dirty, i))
		return NULL;		 /* done already (another vCPU, or an earlier write) */
	if (set->n && !save_ram(set, i)) /* logging alone copies nothing */
		return "no memory to copy a page for its snapshot";
	int copied = gmem_unshare(&set->vm->mem, i, RW);
	if (copied < 0)
		return "no memory for a private copy of a shared page";
	if (!copied && (track || fault) &&
	    !pt_protect(&set->vm->mem.map, page_gpa(set, i), PAGE_SIZE, RW))
		return "no memory to split a nested mapping";
	if (track) {
		bit_set(set->dirty, i);
		set->ndirty++;
	}
	*changed |= copied || track || fault;
	return NULL;
}

/* Copy-before-write for [gpa, gpa + len) up to its first byte that is not RAM (the write
 * itself fails there). fault: the guest's write, else keel's. */
static bool cow_range(struct snapset *set, u64 gpa, u64 len, bool fault)
{
	const char *why = NULL;
	bool changed = false;
	u64 at = gpa;
	spin_lock(&set->lock);
	if (set->n || set->logging || set->vm->mem.frames) {
		for (u64 p = ALIGN_DOWN(gpa, PAGE_SIZE); p < gpa + len && !why; p += PAGE_SIZE) {
			u64 i = page_index(set, p);
			if (i == ~0ull)
				break;
			why = cow_page(set, i, fault, &changed);
			at = p;
		}
	}
	spin_unlock(&set->lock);
	if (changed)
		virt->gmap_changed(set->vm); /* stale read-only translations go */
	if (why)
		vm_stop(set->vm, VM_END_ERROR, 0, "snapshot: %s at guest-physical %#llx", why, at);
	return !why;
}

bool snapmem_write_fault(struct vm *vm, u64 gpa)
{
	struct snapset *set = __atomic_load_n(&vm->mem.hook_owner, __ATOMIC_ACQUIRE);
	return set && (set->n || set->logging || vm->mem.frames) && page_index(set, gpa) != ~0ull &&
	       cow_range(set, gpa, 1, true);
}

/* gmem's write hook: keel is about to write guest RAM. */
static bool write_hook(void *owner, u64 gpa, u64 len)
{
	return cow_range(owner, gpa, len, false);
}

/* ---- rights in the nested table --------------------------------------------------------- */

/* Every page of RAM to rights prot (2 MiB mappings stay whole: nothing is allocated), but a
 * shared frame is never writable. */
static void protect_all(struct snapset *set, unsigned prot)
{
	struct gmem *m = &set->vm->mem;
	pt_protect(&m->map, 0, m->low_end, prot);
	if (m->size > m->low_end)
		pt_protect(&m->map, GMEM_HIGH_BASE, m->size - m->low_end, prot);
	for (u64 i = 0; (prot & PT_W) && m->frames && i < set->npages; i++)
		if (gmem_is_shared(m, i))
			pt_protect(&m->map, page_gpa(set, i), PAGE_SIZE, RO);
}

/* Write-protect the pages of D (they are 4 KiB mappings already: nothing is allocated) and
 * empty it. */
static void protect_dirty(struct snapset *set)
{
	for (u64 i = bit_next(set, set->dirty, 0); i < set->npages;
	     i = bit_next(set, set->dirty, i + 1))
		pt_protect(&set->vm->mem.map, page_gpa(set, i), PAGE_SIZE, RO);
	memset(set->dirty, 0, bitmap_bytes(set));
	set->ndirty = 0;
}

/* ---- take ----------------------------------------------------------------------------- */

/* vm's snapshots, created empty on the first take; NULL when out of memory. */
static struct snapset *set_of(struct vm *vm)
{
	struct snapset *set = vm->mem.hook_owner;
	if (set)
		return set;
	set = kmalloc(sizeof(*set));
	if (!set)
		return NULL;
	gmem_populate_all(&vm->mem); /* rights change across the map from now on */
	set->vm = vm;
	set->npages = vm->mem.size >> PAGE_SHIFT;
	set->lowp = vm->mem.low_end >> PAGE_SHIFT;
	set->ntop = DIV_ROUND_UP(set->npages, LEAF_PAGES);
	set->dirty = kmalloc(bitmap_bytes(set));
	set->scratch = kmalloc(bitmap_bytes(set));
	if (!set->dirty || !set->scratch) {
		kfree(set->dirty);
		kfree(set->scratch);
		kfree(set);
		return NULL;
	}
	__atomic_store_n(&vm->mem.hook_owner, set, __ATOMIC_RELEASE);
	return set;
}

struct snapmem *snapmem_take(struct vm *vm)
{
	struct snapset *set = set_of(vm);
	struct snapmem *s = set ? kmalloc(sizeof(*s)) : NULL;
	u64 **leaf = s ? kmalloc(set->ntop * sizeof(*leaf)) : NULL;
	if (!leaf) {
		kfree(s);
		return NULL;
	}
	*s = (struct snapmem){.set = set, .leaf = leaf};
	spin_lock(&set->lock);
	if (set->n)
		protect_dirty(set);
	else
		protect_all(set, RO);
	s->older = set->newest;
	if (set->newest)
		set->newest->newer = s;
	else
		set->oldest = s;
	set->newest = set->base = s;
	set->n++;
	__atomic_store_n(&vm->mem.write_hook, write_hook, __ATOMIC_RELEASE);
	spin_unlock(&set->lock);
	virt->gmap_changed(vm);
	return s;
}

/* ---- restore -------------------------------------------------------------------------- */

/* Mark in scratch the pages restoring s resets: D, and unless s is the base every page s and
 * the newer snapshots hold. */
static void mark_reset(struct snapset *set, const struct snapmem *s)
{
	memcpy(set->scratch, set->dirty, bitmap_bytes(set));
	if (s == set->base)
		return;
	for (; s; s = s->newer)
		for (u64 t = 0; t < set->ntop; t++)
			for (u64 j = 0; s->leaf[t] && j < LEAF_PAGES; j++)
				if (s->leaf[t][j])
					bit_set(set->scratch, t * LEAF_PAGES + j);
}

bool snapmem_restore(struct vm *vm, struct snapmem *s)
{
	struct snapset *set = s->set;
	spin_lock(&set->lock);
	mark_reset(set, s);
	/* First keep the newest whole (it gets the RAM it lacks), so nothing changes on failure. */
	for (u64 i = bit_next(set, set->scratch, 0); i < set->npages;
	     i = bit_next(set, set->scratch, i + 1)) {
		if (!save_ram(set, i) || gmem_unshare(&vm->mem, i, RO) < 0) { /* RAM it may write */
			spin_unlock(&set->lock);
			return false;
		}
	}
	set->restored = 0;
	for (u64 i = bit_next(set, set->scratch, 0); i < set->npages;
	     i = bit_next(set, set->scratch, i + 1)) {
		memcpy(ram_page(set, i), content(s, i), PAGE_SIZE);
		set->restored++;
	}
	protect_dirty(set);
	set->base = s;
	spin_unlock(&set->lock);
	virt->gmap_changed(vm);
	return true;
}

/* ---- drop ----------------------------------------------------------------------------- */

/* Hand s's copies under leaf t to the older snapshot where it has none, freeing the rest. */
static void pass_leaf(struct snapmem *s, struct snapmem *older, u64 t)
{
	u64 *leaf = s->leaf[t];
	if (older && !older->leaf[t]) {
		older->leaf[t] = leaf;
		for (u64 j = 0; j < LEAF_PAGES; j++)
			older->held += leaf[j] != 0;
		return;
	}
	for (u64 j = 0; j < LEAF_PAGES; j++) {
		if (!leaf[j])
			continue;
		if (older && !older->leaf[t][j]) {
			older->leaf[t][j] = leaf[j];
			older->held++;
		} else {
			page_unref(leaf[j]);
		}
	}
	page_free(virt_to_phys(leaf), 1);
}

static void unlink(struct snapset *set, struct snapmem *s)
{
	if (s->older)
		s->older->newer = s->newer;
	else
		set->oldest = s->newer;
	if (s->newer)
		s->newer->older = s->older;
	else
		set->newest = s->older;
	if (set->base == s)
		set->base = NULL;
	set->n--;
	kfree(s->leaf);
	kfree(s);
}

void snapmem_drop(struct vm *vm, struct snapmem *s)
{
	struct snapset *set = s->set;
	spin_lock(&set->lock);
	for (u64 t = 0; t < set->ntop; t++)
		if (s->leaf[t])
			pass_leaf(s, s->older, t);
	unlink(set, s);
	if (!set->n && !set->logging) { /* no snapshot left: RAM is the VM's alone again */
		if (!vm->mem.frames)	/* paged RAM may have shared frames: keep unsharing them */
			__atomic_store_n(&vm->mem.write_hook, NULL, __ATOMIC_RELEASE);
		protect_all(set, RW);
		memset(set->dirty, 0, bitmap_bytes(set));
		set->ndirty = 0;
	}
	spin_unlock(&set->lock);
	if (!set->n && !set->logging)
		virt->gmap_changed(vm);
}

void snapmem_drop_all(struct vm *vm)
{
	struct snapset *set = vm->mem.hook_owner;
	if (!set)
		return;
	while (set->oldest) /* oldest first: nothing is handed on */
		snapmem_drop(vm, set->oldest);
	__atomic_store_n(&vm->mem.write_hook, NULL, __ATOMIC_RELEASE);
	vm->mem.hook_owner = NULL;
	kfree(set->dirty);
	kfree(set->scratch);
	kfree(set);
}

/* ---- clones ---------------------------------------------------------------------------- */

/* The frame holding page i as s has it: a copy s or a newer snapshot holds, else the RAM's
 * frame, which RAM keeps while s lives only if nobody writes it: it becomes shared, so the
 * source's next write to it goes to a private copy (cow_page). */
static u64 content_frame(const struct snapmem *s, u64 i)
{
	const u8 *p = content(s, i);
	return p ? virt_to_phys(p) : gmem_frame(&s->set->vm->mem, i);
}

bool snapmem_clone(struct vm *clone, const struct snapmem *s)
{
	struct snapset *set = s->set;
	struct gmem *m = &clone->mem;
	u64 before = gmem_overhead(m);
	spin_lock(&set->lock);
	bool ok = m->size == set->vm->mem.size && m->low_end == set->vm->mem.low_end &&
		  gmem_page_all(&set->vm->mem);
	for (u64 i = 0; ok && i < set->npages; i++) {
		u64 pa = content_frame(s, i);
		page_ref(pa);
		gmem_give_frame(m, i, pa);
	}
	spin_unlock(&set->lock);
	ok = ok && gmem_map_frames(m, RO); /* 2 MiB pages where the source's RAM runs are whole */
	clone->overhead += gmem_overhead(m) - before; /* its table pages */
	struct snapset *own = ok ? set_of(clone) : NULL;
	if (own) /* keel's writes to its RAM give it private copies first */
		__atomic_store_n(&m->write_hook, write_hook, __ATOMIC_RELEASE);
	return own != NULL;
}

/* ---- reading ------------------------------------------------------------------------- */

bool snapmem_read_page(struct vm *vm, const struct snapmem *s, u64 gpa, void *buf)
{
	struct snapset *set = s->set;
	(void)vm;
	u64 i = IS_ALIGNED(gpa, PAGE_SIZE) ? page_index(set, gpa) : ~0ull;
	if (i == ~0ull)
		return false;
	spin_lock(&set->lock);
	memcpy(buf, content_or_ram(s, i), PAGE_SIZE);
	spin_unlock(&set->lock);
	return true;
}

u64 snapmem_pages(const struct snapmem *s)
{
	return s->held;
}

u64 snapmem_dirty_pages(const struct vm *vm)
{
	const struct snapset *set = vm->mem.hook_owner;
	return set ? set->ndirty : 0;
}

u64 snapmem_restored_pages(const struct vm *vm)
{
	const struct snapset *set = vm->mem.hook_owner;
	return set ? set->restored : 0;
}

/* ---- the dirty log of a migration ------------------------------------------------------ */

bool snapmem_log_start(struct vm *vm)
{
	struct snapset *set = set_of(vm);
	if (!set || set->n || set->logging)
		return false;
	spin_lock(&set->lock);
	protect_all(set, RO);
	memset(set->dirty, 0, bitmap_bytes(set));
	set->ndirty = 0;
	set->logging = true;
	__atomic_store_n(&vm->mem.write_hook, write_hook, __ATOMIC_RELEASE);
	spin_unlock(&set->lock);
	virt->gmap_changed(vm);
	return true;
}

/* D is the log: hand it over and write-protect its pages again, so the next write to each is
 * seen (the VM is paused: no vCPU keeps a stale writable translation). */
u64 snapmem_log_take(struct vm *vm, u64 *bits)
{
	struct snapset *set = vm->mem.hook_owner;
	if (!set || !set->logging)
		return 0;
	spin_lock(&set->lock);
	memcpy(bits, set->dirty, bitmap_bytes(set));
	u64 n = set->ndirty;
	protect_dirty(set);
	spin_unlock(&set->lock);
	virt->gmap_changed(vm);
	return n;
}

void snapmem_log_stop(struct vm *vm)
{
	struct snapset *set = vm->mem.hook_owner;
	if (!set || !set->logging)
		return;
	spin_lock(&set->lock);
	set->logging = false;
	if (!vm->mem.frames)
		__atomic_store_n(&vm->mem.write_hook, NULL, __ATOMIC_RELEASE);
	protect_all(set, RW);
	memset(set->dirty, 0, bitmap_bytes(set));
	set->ndirty = 0;
	spin_unlock(&set->lock);
	virt->gmap_changed(vm);
}

bool snapmem_logging(const struct vm *vm)
{
	const struct snapset *set = vm->mem.hook_owner;
	return set && set->logging;
}
