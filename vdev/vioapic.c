/* I/O APIC: the contract of vdev/vioapic.h; the full device comes with issue 6. */
#include "vdev/vioapic.h"
#include "kernel/vm.h"

void vioapic_line(struct vm *vm, u32 gsi, bool level)
{
	(void)vm, (void)gsi, (void)level;
}

void vioapic_eoi(struct vm *vm, u8 vector)
{
	(void)vm, (void)vector;
}
