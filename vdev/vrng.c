/* virtio-rng: not served yet (a stub the transport links against). */
#include "vdev/virtio_kinds.h"

static u32 none(const struct vm *vm)
{
	(void)vm;
	return 0;
}

const struct virtio_kind vrng_kind = {
	.name = "virtio-rng",
	.id = VIRTIO_ID_RNG,
	.class_code = 0x00ff00,
	.count = none,
};
