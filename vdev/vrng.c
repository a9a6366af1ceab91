/* virtio-rng (virtio 1.2, 5.4): one request queue; the device fills each writable buffer the
 * driver makes available with the host CPU's hardware random numbers (vm/entropy.h: RDSEED, else
 * RDRAND) and gives it back. A host with neither gives its VMs no rng: a counter or the TSC is
 * not entropy. */
#include "vdev/virtio_kinds.h"
#include "vdev/vdev.h"

#define RNG_QUEUE_SIZE 64
#define RNG_CHUNK      256  /* bytes filled per step */
#define RNG_REQ_MAX    4096 /* bytes given per request at most (the driver asks again) */

/* The device's own state: the chain being served, off the exit path's stack. */
struct vrng {
	struct virtq_chain chain;
};

/* 5.4.2: a VM with rng=yes (the default) gets one, when the host has a source. */
static u32 vrng_count(const struct vm *vm)
{
	if (!vm->hw.rng)
		return 0;
	if (!entropy_available()) {
		static bool told;
		if (!told)
			log_info("vm %s: no RDRAND or RDSEED on this CPU: no virtio-rng", vm->name);
		told = true;
		return 0;
	}
	return 1;
}

/* No feature bits of its own (5.4.3), no configuration (5.4.4). */
static bool vrng_init(struct virtio_dev *d, u32 index)
{
	(void)index;
	d->features = 0;
	return true;
}

/* n bytes of hardware randomness into buf: false if the CPU gave none. */
static bool fill(u8 *buf, u32 n)
{
	for (u32 i = 0; i < n; i += 8) {
		u64 v;
		if (!entropy_read(&v))
			return false;
		for (u32 k = 0; k < 8 && i + k < n; k++)
			buf[i + k] = (u8)(v >> (8 * k));
	}
	return true;
}

/* One chain: its writable part filled (up to RNG_REQ_MAX, so a huge buffer cannot hold the
 * device lock long), given back with the bytes written (5.4.6.1 allows fewer). A host source
 * that runs dry gives back what was filled so far (the driver asks again). */
static void serve(struct virtio_dev *d, const struct virtq_chain *c)
{
	u8 buf[RNG_CHUNK];
	u32 want = MIN(c->in_len, RNG_REQ_MAX), done = 0, n;
	// cppcheck-suppress knownConditionTrueFalse ; it misses virtq_pop's walk filling in_len
	for (; done < want; done += n) {
		n = MIN(want - done, (u32)sizeof(buf));
		if (!fill(buf, n) || !virtq_write(d, c, done, buf, n))
			break;
	}
	virtq_push(d, 0, c, done);
}

/* 5.4.6: every available request, then one interrupt if the driver wants it. */
static void vrng_notify(struct virtio_dev *d, u16 q)
{
	struct virtq_chain *c = &((struct vrng *)d->state)->chain;
	while (virtq_pop(d, q, c) > 0)
		serve(d, c);
	virtq_signal(d, q);
}

const struct virtio_kind vrng_kind = {
	.name = "virtio-rng",
	.id = VIRTIO_ID_RNG,
	.class_code = 0x00ff00, /* class 00 (before class codes), subclass ff: as QEMU's */
	.nqueues = 1,
	.queue_size = RNG_QUEUE_SIZE,
	.state_size = sizeof(struct vrng),
	.count = vrng_count,
	.init = vrng_init,
	.notify = vrng_notify,
};
