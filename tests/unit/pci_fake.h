/* A fake PCI function for the bus's unit tests (test_vpci_func.c, test_vpci_msix.c): at
 * 00:01.0, a 32-bit 4 KiB BAR 1 holding the MSI-X table (4 vectors) and PBA, a 64-bit 16 KiB
 * BAR 4 whose reads answer 0xd0000000 | bar << 16 | offset; with configuration and MMIO
 * accesses as the guest makes them. Each test file includes it once. */
#ifndef KEEL_TEST_PCI_FAKE_H
#define KEEL_TEST_PCI_FAKE_H

#include "tests/unit/fakes_vdev.h"
#include "vdev/vpci.h"
#include "vdev/vrecord.h"

#include <string.h>

#define DEV1 (1u << 3) /* 00:01.0 */

static struct vm *vm;
static struct pci_func fn;
static u64 last_off, last_val;
static u32 last_bar;

static inline u64 fn_read(struct pci_func *f, u32 bar, u64 off, u8 size)
{
	(void)f, (void)size;
	return 0xd0000000u | bar << 16 | (u32)off;
}

static inline void fn_write(struct pci_func *f, u32 bar, u64 off, u8 size, u64 val)
{
	(void)f, (void)size;
	last_bar = bar, last_off = off, last_val = val;
}

static const struct pci_func_ops fn_ops = {.bar_read = fn_read, .bar_write = fn_write};

static inline u32 in(u16 port, u8 size)
{
	return (u32)fake_read(&vpci_ops, &fake_dev.pci, port, size);
}

static inline void out(u16 port, u8 size, u32 val)
{
	fake_write(&vpci_ops, &fake_dev.pci, port, size, val);
}

static inline u32 cfg(u32 bdf, u8 reg, u8 size)
{
	out(0xcf8, 4, 0x80000000u | bdf << 8 | (reg & 0xfc));
	return in((u16)(0xcfc + (reg & 3)), size);
}

static inline void cfg_write(u32 bdf, u8 reg, u8 size, u32 val)
{
	out(0xcf8, 4, 0x80000000u | bdf << 8 | (reg & 0xfc));
	out((u16)(0xcfc + (reg & 3)), size, val);
}

/* An MMIO access by vCPU 0 through the VM's bus, as exit/access.c makes it: all-ones where
 * nothing is mapped. */
static inline u64 mmio_read(u64 gpa, u8 size)
{
	const struct bus_range *r = bus_find(&vm->mmio, gpa);
	return r ? fake_read(r->ops, r->dev, gpa, size) : ~0ull;
}

static inline void mmio_write(u64 gpa, u8 size, u64 val)
{
	const struct bus_range *r = bus_find(&vm->mmio, gpa);
	if (r)
		fake_write(r->ops, r->dev, gpa, size, val);
}

/* The fake function: a 32-bit 4 KiB BAR 1 with the MSI-X table (4 vectors) at 0 and the PBA
 * at 0x800, and a 64-bit 16 KiB BAR 4 for the device; put on the bus and the VM reset. */
static inline void add_fn(struct vm *v)
{
	pci_func_init(&fn, &fn_ops, NULL, 0x1af4, 0x1044, 0x00ff00, 1, 0x1af4, 0x0004);
	assert_true(pci_func_bar(&fn, 1, 4096, false));
	assert_true(pci_func_bar(&fn, 4, 16384, true));
	assert_false(pci_func_bar(&fn, 5, 4096, false)); /* BAR 4's upper half */
	assert_false(pci_func_bar(&fn, 0, 1000, false)); /* not a power of two */
	const u8 vendor[4] = {0x10, 0x20, 0x30, 0x40};
	assert_int_equal(pci_func_cap(&fn, 0x09, vendor, 4), 0x40);
	assert_true(pci_func_msix(&fn, 4, 1, 0, 0x800));
	assert_true(vpci_add(v, &fn));
	dev_lock(v);
	vpci_ops.reset(v, &fake_dev.pci);
	dev_unlock(v);
}

#endif
