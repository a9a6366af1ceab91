/* Putting a guest's image (and its modules) into its memory and choosing its first state. */
#ifndef KEEL_GUEST_BOOT_H
#define KEEL_GUEST_BOOT_H

#include "loader/image.h"
#include "vm/vm.h"

#define GUEST_MAX_MODULES 16
#define GUEST_NAME_MAX	  128 /* a module's path, as a VM definition holds it */

/* What a VM loads, at its start and at each restart. The VM owns the names and strings (the
 * definitions they come from are freed once the VMs have started); the bytes stay in the
 * boot modules, which keel's page pool never takes. */
struct guest_module {
	char name[GUEST_NAME_MAX]; /* for messages */
	char *string;		   /* the module string the guest sees (kmalloc'd) */
	const u8 *data;
	u64 len;
};

struct guest_image {
	char image_name[GUEST_NAME_MAX];
	const u8 *data;
	u64 len;
	char initrd_name[GUEST_NAME_MAX]; /* Linux: the initrd module, if any */
	const u8 *initrd;
	u64 initrd_len;
	int nmods;
	struct guest_module mods[GUEST_MAX_MODULES];
};

/* Load gi into vm's memory and fill s with the first vCPU's state; false (logged) if the
 * image is unusable or does not fit. */
bool guest_load(struct vm *vm, const struct guest_image *gi, struct vcpu_boot_state *s);

/* Shared pieces of the loaders. Identity page tables (2 MiB pages over 4 GiB and all RAM) and
 * a GDT page at the top of low RAM: returns their base, the end of what the guest may use. */
u64 guest_identity_map(struct vm *vm, u64 *pml4_out, u64 *gdt_out);
void guest_flat_segs(struct vcpu_boot_state *s, u16 code_sel, u16 code_attr, u16 data_sel,
		     u16 data_attr);
/* loader/linux_boot.c */
bool linux_load(struct vm *vm, const struct guest_image *gi, const struct image *img,
		struct vcpu_boot_state *s);

#endif
