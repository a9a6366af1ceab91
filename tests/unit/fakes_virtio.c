/* Test doubles for the virtio transport (fakes_virtio.h). Linked into every unit test (every
 * test links the transport); kmalloc is weak because test_vdevs has its own. */
#include "tests/unit/fakes_virtio.h"
#include "mm/gmem.h"
#include "mm/mm.h"
#include "vm/entropy.h"

#include <stdlib.h>
#include <string.h>

static u8 *ram;
static struct gmem_chunk chunk;
bool fake_entropy = true;
int fake_entropy_left = -1;
u64 fake_entropy_next = 0x0706050403020100ull;
bool fake_msix_on;
u16 fake_msix_sent[64];
int fake_nmsix;
int fake_nslots;

void fake_ram(struct vm *vm, u64 size)
{
	free(ram);
	ram = calloc(1, size);
	chunk = (struct gmem_chunk){.gpa = 0, .hpa = (u64)(uintptr_t)ram, .len = size};
	vm->mem.size = vm->mem.low_end = size;
	vm->mem.nchunks = 1;
	vm->mem.chunks = &chunk;
}

void *fake_gpa(u64 gpa)
{
	return ram + gpa;
}

/* The chunk holding [gpa, gpa + len), NULL if none. */
static const struct gmem_chunk *find(const struct gmem *m, u64 gpa, u64 len)
{
	for (int i = 0; i < m->nchunks; i++) {
		const struct gmem_chunk *c = &m->chunks[i];
		if (gpa >= c->gpa && gpa - c->gpa < c->len && len <= c->len - (gpa - c->gpa))
			return c;
	}
	return NULL;
}

void *gmem_ptr(const struct gmem *m, u64 gpa, u64 len)
{
	const struct gmem_chunk *c = find(m, gpa, len);
	return c ? (void *)(uintptr_t)(c->hpa + gpa - c->gpa) : NULL;
}

void *gmem_ptr_w(const struct gmem *m, u64 gpa, u64 len)
{
	return gmem_ptr(m, gpa, len);
}

bool gmem_is_ram(const struct gmem *m, u64 gpa)
{
	return find(m, gpa, 1) != NULL;
}

bool gmem_read(const struct gmem *m, u64 gpa, void *buf, u64 n)
{
	void *p = gmem_ptr(m, gpa, n);
	if (p)
		memcpy(buf, p, n);
	return p != NULL;
}

bool gmem_write(const struct gmem *m, u64 gpa, const void *buf, u64 n)
{
	void *p = gmem_ptr(m, gpa, n);
	if (p)
		memcpy(p, buf, n);
	return p != NULL;
}

__attribute__((weak)) void *kmalloc(size_t size)
{
	return calloc(1, size);
}

__attribute__((weak)) void kfree(void *p)
{
	free(p);
}

bool entropy_available(void)
{
	return fake_entropy;
}

bool entropy_read(u64 *v)
{
	if (!fake_entropy || !fake_entropy_left)
		return false;
	if (fake_entropy_left > 0)
		fake_entropy_left--;
	*v = fake_entropy_next;
	fake_entropy_next += 0x0808080808080808ull; /* the bytes count on: 00 01 02 ... */
	return true;
}

/* ---- vdev/vpci.h through --wrap: a configuration space built as the contract says ---- */

void __wrap_pci_func_init(struct pci_func *f, const struct pci_func_ops *ops, void *owner,
			  u16 vendor, u16 device, u32 class_code, u8 revision, u16 subvendor,
			  u16 subsystem)
{
	memset(f, 0, sizeof(*f));
	f->ops = ops;
	f->owner = owner;
	memcpy(f->cfg + 0x00, &vendor, 2);
	memcpy(f->cfg + 0x02, &device, 2);
	f->cfg[0x08] = revision;
	f->cfg[0x09] = (u8)class_code;
	f->cfg[0x0a] = (u8)(class_code >> 8);
	f->cfg[0x0b] = (u8)(class_code >> 16);
	memcpy(f->cfg + 0x2c, &subvendor, 2);
	memcpy(f->cfg + 0x2e, &subsystem, 2);
	f->cfg[0x3d] = 1;
	f->irq_pin = 1;
	f->cap_end = 0x40;
}

bool __wrap_pci_func_bar(struct pci_func *f, u32 bar, u64 size, bool is64)
{
	if (bar + is64 >= VPCI_BARS || f->bar[bar].size || size < 4096 || (size & (size - 1)))
		return false;
	f->bar[bar] = (struct pci_bar){.size = size, .is64 = is64};
	return true;
}

u8 __wrap_pci_func_cap(struct pci_func *f, u8 id, const void *body, u8 len)
{
	u32 at = f->cap_end;
	if (at + 2 + len > 256)
		return 0;
	f->cfg[at] = id;
	f->cfg[at + 1] = 0;
	memcpy(f->cfg + at + 2, body, len);
	u8 *link = &f->cfg[0x34];
	while (*link)
		link = &f->cfg[*link + 1];
	*link = (u8)at;
	f->cfg[0x06] |= 0x10; /* status: capability list */
	f->cap_end = (u8)ALIGN_UP(at + 2 + len, 4u);
	return (u8)at;
}

bool __wrap_pci_func_msix(struct pci_func *f, u16 n, u32 bar, u32 table_off, u32 pba_off)
{
	u8 body[10] = {0};
	u16 ctrl = (u16)(n - 1);
	u32 t = table_off | bar, p = pba_off | bar;
	memcpy(body, &ctrl, 2);
	memcpy(body + 2, &t, 4);
	memcpy(body + 6, &p, 4);
	f->msix_cap = __wrap_pci_func_cap(f, 0x11, body, sizeof(body));
	f->msix_n = n;
	f->msix_bar = (u8)bar;
	f->msix_table = table_off;
	f->msix_pba = pba_off;
	return f->msix_cap && n <= VPCI_MSIX_MAX;
}

bool __wrap_vpci_add(struct vm *vm, struct pci_func *f)
{
	f->vm = vm;
	f->slot = (u8)++fake_nslots;
	return true;
}

bool __wrap_pci_msix_enabled(const struct pci_func *f)
{
	(void)f;
	return fake_msix_on;
}

void __wrap_pci_msix_send(struct pci_func *f, u16 n)
{
	(void)f;
	if (fake_nmsix < (int)ARRAY_SIZE(fake_msix_sent))
		fake_msix_sent[fake_nmsix++] = n;
}

void __wrap_pci_intx(struct pci_func *f, bool level)
{
	f->intx = level;
}
