/* virtio-net: not served yet (a stub the transport links against). */
#include "vdev/virtio_kinds.h"

static u32 none(const struct vm *vm)
{
	(void)vm;
	return 0;
}

const struct virtio_kind vnet_kind = {
	.name = "virtio-net",
	.id = VIRTIO_ID_NET,
	.class_code = 0x020000,
	.count = none,
};
