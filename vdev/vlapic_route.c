/* Interrupt messages to the local APICs, from the I/O APIC's redirection entries and from PCI
 * functions' MSIs (SDM vol. 3 11.11): both carry an 8-bit destination, a destination mode, a
 * delivery mode and a vector, and are routed here by one rule. */
#include "vdev/vlapic_int.h"

/* Does the local APIC of vCPU t accept destination dest? Physical: its APIC ID or the
 * broadcast 0xff. Logical: its LDR against dest in the flat or cluster model (SDM vol. 3
 * 11.6.2.2); an APIC in x2APIC mode sees the 8 bits as a logical x2APIC ID of cluster 0
 * (11.12.10.2). A disabled APIC takes nothing (11.4.3). */
static bool accepts(const struct vm *vm, u32 t, u32 dest, bool logical)
{
	const struct vlapic *l = (const struct vlapic *)vm_device(vm, &vlapic_ops) + t;
	if (l->mode == VLAPIC_DISABLED)
		return false;
	if (!logical)
		return dest == 0xff || dest == t;
	if (l->mode == VLAPIC_X2APIC)
		return (vlapic_x2_ldr(t) >> 16) == 0 && (dest & vlapic_x2_ldr(t));
	u32 ldr = l->ldr >> 24;
	if ((l->dfr >> 28) == 0xf)
		return (ldr & dest) != 0;
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf);
}

/* Lowest priority goes to the first vCPU that accepts it (allowed: the arbitration among
 * equals is the chipset's choice, 11.6.2.4). */
void vlapic_route(struct vm *vm, u32 dest, bool logical, u32 mode, u8 vector, bool level)
{
	for (u32 i = 0; i < vm->nvcpus; i++) {
		if (!accepts(vm, i, dest, logical))
			continue;
		if (mode == VLAPIC_DM_NMI)
			vcpu_nmi(vm->vcpu[i]);
		else if (mode == VLAPIC_DM_FIXED || mode == VLAPIC_DM_LOWEST)
			vlapic_deliver(vm->vcpu[i], vector, level);
		if (mode == VLAPIC_DM_LOWEST)
			return;
	}
}
