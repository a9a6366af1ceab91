/* KVM's paravirtual end of interrupt (Linux's Documentation/virt/kvm/x86/msr.rst,
 * MSR_KVM_PV_EOI_EN; CPUID 0x40000101 EAX bit 6). Without it every interrupt a guest takes
 * costs two exits: its delivery and the EOI write to the APIC. With it, the guest names a
 * 4-byte flag in its RAM; before an entry keel sets the flag's bit 0 when the guest's next EOI
 * is a plain one (nothing waits in the IRR, and the vector in service is edge-triggered, so no
 * I/O APIC needs to hear it), and the guest then clears the bit instead of writing the EOI
 * register. After the exit keel looks: a cleared bit is the EOI, done now; a bit still set is
 * cleared again, so that the guest writes its next EOI to the APIC as usual. Between an exit
 * and the next entry nothing is pending, so the APIC's record holds only the MSR. */
#include "vdev/vlapic_int.h"

#define PV_EOI_ENABLED BIT(0)
#define PV_EOI_RSVD    BIT(1)

int vlapic_pv_eoi_rdmsr(struct vcpu *v, u32 msr, u64 *val)
{
	(void)msr;
	*val = vlapic_of(v)->pv_eoi;
	return 0;
}

/* Bit 0 enables; bit 1 is reserved; bits 63:2 are a 4-byte-aligned guest-physical address,
 * which must be RAM while it is enabled (KVM #GPs on an address it cannot map). Aligned, the
 * flag lies in one page, so its first byte being RAM is enough. */
bool vlapic_pv_eoi_valid(const struct vm *vm, u64 val)
{
	return !(val & PV_EOI_RSVD) &&
	       (!(val & PV_EOI_ENABLED) || gmem_is_ram(&vm->mem, val & ~(u64)3));
}

int vlapic_pv_eoi_wrmsr(struct vcpu *v, u32 msr, u64 val)
{
	(void)msr;
	if (!vlapic_pv_eoi_valid(v->vm, val))
		return -1;
	vlapic_of(v)->pv_eoi = val;
	return 0;
}

static bool flag_write(struct vcpu *v, const struct vlapic *l, u32 x)
{
	return gmem_write(&v->vm->mem, l->pv_eoi & ~3ull, &x, sizeof(x));
}

/* Before an entry, interrupts delivered: may the guest's next EOI be the flag's? */
void vlapic_pv_eoi_entry(struct vcpu *v)
{
	struct vlapic *l = vlapic_of(v);
	if (!(l->pv_eoi & PV_EOI_ENABLED) || l->mode == VLAPIC_DISABLED)
		return;
	int isr = vlapic_highest(l->isr);
	if (isr < 0 || vlapic_highest(l->irr) >= 0 || (l->tmr[isr / 32] & (1u << (isr % 32))))
		return;
	l->pv_set = flag_write(v, l, PV_EOI_ENABLED);
}

/* After an exit, before anything reads the APIC: did the guest end its interrupt? */
void vlapic_pv_eoi_exit(struct vcpu *v)
{
	struct vlapic *l = vlapic_of(v);
	if (!l->pv_set)
		return;
	l->pv_set = false;
	u32 x = 0;
	if (!gmem_read(&v->vm->mem, l->pv_eoi & ~3ull, &x, sizeof(x)))
		return;
	if (x & PV_EOI_ENABLED)
		flag_write(v, l, 0); /* not yet: its EOI goes to the APIC */
	else
		vlapic_eoi(v, l);
}
