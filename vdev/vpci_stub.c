/* TEMPORARY, until the PCI bus (vdev/vpci.h's functions) is merged: weak stand-ins so keel and
 * the unit tests link. The real definitions replace them at link time; this file goes away with
 * the merge. A virtio device here has no PCI function: the guest cannot find it. */
#include "vdev/vpci.h"

__attribute__((weak)) void pci_func_init(struct pci_func *f, const struct pci_func_ops *ops,
					 void *owner, u16 vendor, u16 device, u32 class_code,
					 u8 revision, u16 subvendor, u16 subsystem)
{
	(void)vendor, (void)device, (void)class_code, (void)revision, (void)subvendor;
	(void)subsystem;
	f->ops = ops;
	f->owner = owner;
}

__attribute__((weak)) bool pci_func_bar(struct pci_func *f, u32 bar, u64 size, bool is64)
{
	(void)f, (void)bar, (void)size, (void)is64;
	return true;
}

__attribute__((weak)) u8 pci_func_cap(struct pci_func *f, u8 id, const void *body, u8 len)
{
	(void)f, (void)id, (void)body, (void)len;
	return 0x40;
}

__attribute__((weak)) bool pci_func_msix(struct pci_func *f, u16 n, u32 bar, u32 table_off,
					 u32 pba_off)
{
	(void)f, (void)n, (void)bar, (void)table_off, (void)pba_off;
	return true;
}

__attribute__((weak)) bool vpci_add(struct vm *vm, struct pci_func *f)
{
	f->vm = vm;
	return true;
}

__attribute__((weak)) bool pci_msix_enabled(const struct pci_func *f)
{
	(void)f;
	return false;
}

__attribute__((weak)) void pci_msix_send(struct pci_func *f, u16 n)
{
	(void)f, (void)n;
}

__attribute__((weak)) void pci_intx(struct pci_func *f, bool level)
{
	f->intx = level;
}
