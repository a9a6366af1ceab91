/* The debugger's view of guest memory (exit/debug.h): reads and writes through a vCPU's page
 * tables or by guest-physical address, RAM only, and the software breakpoints it hides there.
 * Writes go through gmem_write, as keel's devices write guest RAM, so a snapshot's
 * copy-before-write (vm/snapmem.c, the gmem write hook) sees every byte the debugger changes. */
#include "exit/access.h"
#include "exit/debug_hw.h"
#include "kernel/x86.h"

/* The guest-physical address of linear la through v's page tables (a supervisor read: gdb
 * sees what the kernel would), or why not. */
static const char *translate(struct vcpu *v, u64 la, u64 *gpa)
{
	struct guest_paging p = vcpu_paging(v);
	u32 pf;
	int r = gva_translate(&p, la, 0, gpa, &pf);
	if (r == GVA_OK)
		return NULL;
	if (r == GVA_BAD_ADDRESS)
		return "non-canonical address";
	if (r == GVA_NO_MEMORY)
		return "a page table is outside RAM";
	return "not mapped by the guest's page tables";
}

/* The RAM behind [addr, addr+n) where n stays within one page: its gpa, or why not. */
static const char *ram_at(struct vcpu *v, u64 addr, size_t n, bool phys, u64 *gpa)
{
	const char *why = phys ? (*gpa = addr, NULL) : translate(v, addr, gpa);
	if (why)
		return why;
	if (!gmem_is_ram(&v->vm->mem, *gpa) || !gmem_is_ram(&v->vm->mem, *gpa + n - 1))
		return "not RAM (a device or a hole)";
	return NULL;
}

/* How many bytes from addr stay in its 4 KiB page, at most n. */
static size_t in_page(u64 addr, size_t n)
{
	size_t left = PAGE_SIZE - (addr & (PAGE_SIZE - 1));
	return n < left ? n : left;
}

/* Is the debugger's INT3 at gpa? Its entry, or NULL. */
static struct dbg_sw *sw_at_gpa(struct vm_debug *d, u64 gpa)
{
	for (unsigned i = 0; d && i < DBG_SW_MAX; i++)
		if (d->sw[i].used && d->sw[i].gpa == gpa)
			return &d->sw[i];
	return NULL;
}

int dbg_read(struct vcpu *v, u64 addr, void *buf, size_t n, bool phys, const char **why)
{
	u8 *out = buf;
	while (n) {
		size_t k = in_page(addr, n);
		u64 gpa;
		*why = ram_at(v, addr, k, phys, &gpa);
		if (*why || !gmem_read(&v->vm->mem, gpa, out, k))
			return *why ? -1 : (*why = "not RAM", -1);
		for (size_t i = 0; i < k; i++) { /* the debugger's INT3s read as what they hide */
			const struct dbg_sw *sw = sw_at_gpa(v->vm->debug, gpa + i);
			if (sw)
				out[i] = sw->orig;
		}
		addr += k, out += k, n -= k;
	}
	return 0;
}

/* After a write of [gpa, gpa+k): any INT3 there keeps its place, the written byte becomes
 * the one restored on removal. */
static void keep_int3s(struct vcpu *v, u64 gpa, size_t k)
{
	static const u8 int3 = 0xcc;
	for (size_t i = 0; i < k; i++) {
		struct dbg_sw *sw = sw_at_gpa(v->vm->debug, gpa + i);
		if (!sw)
			continue;
		gmem_read(&v->vm->mem, gpa + i, &sw->orig, 1);
		for (unsigned j = 0; j < DBG_SW_MAX; j++) /* aliases share the byte */
			if (v->vm->debug->sw[j].used && v->vm->debug->sw[j].gpa == gpa + i)
				v->vm->debug->sw[j].orig = sw->orig;
		gmem_write(&v->vm->mem, gpa + i, &int3, 1);
	}
}

int dbg_write(struct vcpu *v, u64 addr, const void *buf, size_t n, bool phys, const char **why)
{
	const u8 *in = buf;
	while (n) {
		size_t k = in_page(addr, n);
		u64 gpa;
		*why = ram_at(v, addr, k, phys, &gpa);
		if (*why)
			return -1;
		if (!gmem_write(&v->vm->mem, gpa, in, k)) {
			*why = "guest memory refused the write";
			return -1;
		}
		keep_int3s(v, gpa, k);
		addr += k, in += k, n -= k;
	}
	return 0;
}

/* The entry for linear la, or NULL. */
static struct dbg_sw *sw_at_la(struct vm_debug *d, u64 la)
{
	for (unsigned i = 0; i < DBG_SW_MAX; i++)
		if (d->sw[i].used && d->sw[i].la == la)
			return &d->sw[i];
	return NULL;
}

const char *dbg_sw_insert(struct vcpu *v, u64 la)
{
	struct vm_debug *d = v->vm->debug;
	static const u8 int3 = 0xcc;
	u64 gpa;
	if (!d)
		return "no debugger attached";
	const char *why = ram_at(v, la, 1, false, &gpa);
	if (why)
		return why;
	struct dbg_sw *old = sw_at_la(d, la);
	if (old && old->gpa == gpa)
		return NULL;
	if (old) /* the guest remapped it: the old byte goes back, the new one is taken */
		dbg_sw_forget(v->vm, old);
	struct dbg_sw *alias = sw_at_gpa(d, gpa);
	for (unsigned i = 0; i < DBG_SW_MAX; i++) {
		struct dbg_sw *sw = &d->sw[i];
		if (sw->used)
			continue;
		*sw = (struct dbg_sw){true, la, gpa, alias ? alias->orig : 0};
		if (!alias && (!gmem_read(&v->vm->mem, gpa, &sw->orig, 1) ||
			       !gmem_write(&v->vm->mem, gpa, &int3, 1))) {
			sw->used = false;
			return "guest memory refused the write";
		}
		dbg_ctl_update(v->vm);
		return NULL;
	}
	return "too many software breakpoints";
}

void dbg_sw_forget(struct vm *vm, struct dbg_sw *sw)
{
	sw->used = false;
	if (!sw_at_gpa(vm->debug, sw->gpa)) /* the last one at this byte puts it back */
		gmem_write(&vm->mem, sw->gpa, &sw->orig, 1);
}

const char *dbg_sw_remove(struct vcpu *v, u64 la)
{
	struct vm_debug *d = v->vm->debug;
	if (!d)
		return "no debugger attached";
	struct dbg_sw *sw = sw_at_la(d, la);
	if (sw)
		dbg_sw_forget(v->vm, sw);
	dbg_ctl_update(v->vm);
	return NULL;
}

bool dbg_sw_at(struct vcpu *v, u64 la)
{
	u64 gpa;
	if (translate(v, la, &gpa))
		return false;
	for (unsigned i = 0; i < DBG_SW_MAX; i++) {
		const struct dbg_sw *sw = &v->vm->debug->sw[i];
		if (sw->used && sw->la == la && sw->gpa == gpa)
			return true;
	}
	return false;
}
