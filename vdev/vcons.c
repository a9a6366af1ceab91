/* virtio-console: not served yet (a stub the transport links against). */
#include "vdev/virtio_kinds.h"

static u32 none(const struct vm *vm)
{
	(void)vm;
	return 0;
}

const struct virtio_kind vcons_kind = {
	.name = "virtio-console",
	.id = VIRTIO_ID_CONSOLE,
	.class_code = 0x078000,
	.count = none,
};
