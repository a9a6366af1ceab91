/* virtio-blk: not served yet (a stub the transport links against). */
#include "vdev/virtio_kinds.h"

static u32 none(const struct vm *vm)
{
	(void)vm;
	return 0;
}

const struct virtio_kind vblk_kind = {
	.name = "virtio-blk",
	.id = VIRTIO_ID_BLOCK,
	.class_code = 0x010000,
	.count = none,
};
