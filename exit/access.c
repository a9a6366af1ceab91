/* Guest memory as the exit handlers reach it: through the guest's own page tables (linear
 * addresses, instruction fetch, string elements) and on its bus (guest-physical accesses). */
#include "exit/access.h"
#include "kernel/x86.h"
#include "lib/string.h"
#include "vm/bus.h"

static bool read_gpa(void *ctx, u64 gpa, void *buf, size_t n)
{
	return gmem_read(&((struct vcpu *)ctx)->vm->mem, gpa, buf, n);
}

struct guest_paging vcpu_paging(struct vcpu *v)
{
	return (struct guest_paging){
		.cr0 = vcpu_get(v, VREG_CR0),
		.cr3 = vcpu_get(v, VREG_CR3),
		.cr4 = vcpu_get(v, VREG_CR4),
		.efer = vcpu_get(v, VREG_EFER),
		.read = read_gpa,
		.ctx = v,
	};
}

int vcpu_read_linear(struct vcpu *v, u64 la, void *buf, size_t n, unsigned access, u32 *pf_error)
{
	struct guest_paging p = vcpu_paging(v);
	if (vcpu_get(v, VREG_CPL) == 3)
		access |= GVA_USER;
	return gva_read(&p, la, buf, n, access, pf_error);
}

size_t vcpu_fetch_insn(struct vcpu *v, u8 bytes[15])
{
	u64 la = vcpu_get(v, VREG_CS_BASE) + vcpu_get(v, VREG_RIP);
	if (vcpu_mode(v) != CPU_MODE_LONG64)
		la &= 0xffffffffull;
	u32 pf;
	size_t n = 15;
	while (n && vcpu_read_linear(v, la, bytes, n, GVA_FETCH, &pf) != GVA_OK)
		n--;
	memset(bytes + n, 0, 15 - n); /* a failed longer read may have left bytes there */
	return n;
}

static u64 size_mask(u8 size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

u64 gpa_read(struct vcpu *v, u64 gpa, u8 size)
{
	const struct bus_range *r = bus_find(&v->vm->mmio, gpa);
	u64 val = 0;
	if (r)
		return bus_read(v, r, gpa, size) & size_mask(size);
	if (gmem_read(&v->vm->mem, gpa, &val, size))
		return val;
	return size_mask(size);
}

void gpa_write(struct vcpu *v, u64 gpa, u8 size, u64 val)
{
	const struct bus_range *r = bus_find(&v->vm->mmio, gpa);
	if (r)
		bus_write(v, r, gpa, size, val & size_mask(size));
	else
		gmem_write(&v->vm->mem, gpa, &val, size);
}

u64 vcpu_seg_base(struct vcpu *v, u8 prefix)
{
	bool long64 = vcpu_mode(v) == CPU_MODE_LONG64;
	switch (prefix) {
	case 0x64: return vcpu_get(v, VREG_FS_BASE);
	case 0x65: return vcpu_get(v, VREG_GS_BASE);
	case 0x26: return long64 ? 0 : vcpu_get(v, VREG_ES_BASE);
	case 0x2e: return long64 ? 0 : vcpu_get(v, VREG_CS_BASE);
	case 0x36: return long64 ? 0 : vcpu_get(v, VREG_SS_BASE);
	default: return long64 ? 0 : vcpu_get(v, VREG_DS_BASE);
	}
}

bool string_gpa(struct vcpu *v, u64 seg_base, u64 off, bool write, u64 *gpa)
{
	struct guest_paging p = vcpu_paging(v);
	u64 la = seg_base + off;
	u32 pf;
	unsigned acc = (write ? GVA_WRITE : 0) | (vcpu_get(v, VREG_CPL) == 3 ? GVA_USER : 0);
	if (vcpu_mode(v) != CPU_MODE_LONG64)
		la &= 0xffffffffull; /* linear addresses wrap at 4 GiB outside long mode */
	int r = gva_translate(&p, la, acc, gpa, &pf);
	if (r == GVA_OK)
		return true;
	if (r == GVA_PAGE_FAULT) {
		vcpu_set(v, VREG_CR2, la);
		vcpu_inject_exception(v, 14, true, pf);
	} else {
		vcpu_inject_gp(v, 0);
	}
	return false;
}

u64 addr_mask(u64 val, u8 size)
{
	return size == 8 ? val : val & ((1ull << (8 * size)) - 1);
}

void set_addr_reg(u64 *reg, u8 size, u64 val)
{
	if (size == 2)
		*reg = (*reg & ~0xffffull) | (val & 0xffff);
	else
		*reg = addr_mask(val, size);
}
