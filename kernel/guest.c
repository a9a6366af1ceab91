/* The guest's view: backend-neutral accessors over the ops table, the guest's mode and
 * paging, and reads through its page tables. */
#include "kernel/guest.h"
#include "kernel/virt.h"
#include "kernel/x86.h"

const struct virt_ops *virt;

u64 vcpu_get(struct vcpu *v, enum vreg r)
{
	return virt->get(v, r);
}

void vcpu_set(struct vcpu *v, enum vreg r, u64 val)
{
	virt->set(v, r, val);
}

void vcpu_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	v->event = (struct vevent){true, vector, EVENT_EXCEPTION, has_error, error};
}

enum cpu_mode vcpu_mode(struct vcpu *v)
{
	if (!(vcpu_get(v, VREG_CR0) & CR0_PE))
		return CPU_MODE_REAL;
	u64 attr = vcpu_get(v, VREG_CS_ATTR);
	if ((vcpu_get(v, VREG_EFER) & EFER_LMA) && (attr & SEG_ATTR_L))
		return CPU_MODE_LONG64;
	return (attr & SEG_ATTR_DB) ? CPU_MODE_PROT32 : CPU_MODE_PROT16;
}

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
