/* The backend-neutral accessors over the ops table, and the guest's mode. */
#include "vm/guest.h"
#include "vm/bus.h"
#include "lib/string.h"
#include "vm/virt.h"
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
