/* Putting a guest's image (and its modules) into its memory and choosing its first state. */
#ifndef KEEL_GUEST_BOOT_H
#define KEEL_GUEST_BOOT_H

#include "kernel/image.h"
#include "kernel/vm.h"

#define GUEST_MAX_MODULES 16

struct guest_module {
	const char *name;   /* for messages */
	const char *string; /* the module string the guest sees */
	const u8 *data;
	u64 len;
};

struct guest_image {
	const char *image_name;
	const u8 *data;
	u64 len;
	int nmods;
	struct guest_module mods[GUEST_MAX_MODULES];
};

/* Load gi into vm's memory and fill s with the first vCPU's state; false (logged) if the
 * image is unusable or does not fit. */
bool guest_load(struct vm *vm, const struct guest_image *gi, struct vcpu_boot_state *s);

#endif
