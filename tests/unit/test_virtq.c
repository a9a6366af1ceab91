/* Split virtqueues (vdev/virtq.c) on a test device kind: direct, indirect and mixed chains and
 * their contents, the used ring, idx wrapping at 65535, and every lie a driver can tell (loops,
 * buffers outside RAM or wrapping, chains too long, writable before readable, a head or an avail
 * idx past the ring, indirect tables without the feature, nested or of a bad length), each
 * marking the device broken until a reset; chains put back and taken again, used elements
 * filled and flushed together; then the interrupt decisions with and without EVENT_IDX. */
#include "tests/unit/virtio_drv.h"

#define QSIZE 16

static struct vm *vm;
static struct virtio_dev dev;
static struct virtq_chain chain;
static int notified;

static void tnotify(struct virtio_dev *d, u16 q)
{
	(void)d, (void)q;
	notified++;
}

static const struct virtio_kind tkind = {
	.name = "virtio-test",
	.id = 99,
	.nqueues = 2,
	.queue_size = 32,
	.notify = tnotify,
};

/* A fresh device on a fresh VM with RAM, negotiated with features, queue 0 at the test rings. */
static void start(u64 features)
{
	vm = fake_vm(1, RAM);
	strcpy(vm->name, "t");
	fake_ram(vm, RAM);
	log_reset();
	memset(&dev, 0, sizeof(dev));
	dev.kind = &tkind;
	dev.vm = vm;
	dev.features = VIRTIO_F_TRANSPORT;
	virtio_reset(&dev);
	fake_msix_on = true;
	fake_nmsix = 0;
	notified = 0;
	assert_true(negotiate(&dev, features) & VIRTIO_S_FEATURES_OK);
	wr(&dev, C_MSIX, 2, 2);
	queue_at(&dev, 0, QSIZE, DESC, AVAIL, USED);
	driver_ok(&dev);
	assert_true(virtio_queue_ready(&dev, 0));
}

static int setup(void **state)
{
	(void)state;
	start(VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC);
	return 0;
}

/* virtq_pop fails with a log line that says why, and the device is broken. */
static void lie(const char *why)
{
	assert_int_equal(virtq_pop(&dev, 0, &chain), -1);
	assert_true(dev.broken);
	assert_true(rd(&dev, C_STATUS, 1) & VIRTIO_S_NEEDS_RESET);
	assert_true(log_contains(why));
	assert_true(log_contains("vm t: virtio-test 0: queue 0"));
	assert_int_equal(fake_nmsix, 1); /* the configuration vector, no queue's */
	assert_int_equal(fake_msix_sent[0], 2);
}

/* Two readable descriptors then a writable one; contents read across the two, written into the
 * third; the used ring gets head and length, with idx after the element. */
static void test_direct_chain(void **state)
{
	(void)state;
	memcpy(fake_gpa(BUF), "hello ", 6);
	memcpy(fake_gpa(BUF + 0x100), "world", 5);
	desc(DESC, 3, BUF, 6, D_NEXT, 7);
	desc(DESC, 7, BUF + 0x100, 5, D_NEXT, 1);
	desc(DESC, 1, BUF + 0x200, 8, D_WRITE, 0);
	offer(QSIZE, 3);
	assert_true(virtq_has_avail(&dev, 0));
	assert_int_equal(virtq_pop(&dev, 0, &chain), 1);
	assert_int_equal(chain.head, 3);
	assert_int_equal(chain.nout, 2);
	assert_int_equal(chain.nin, 1);
	assert_int_equal(chain.out_len, 11);
	assert_int_equal(chain.in_len, 8);
	char buf[12] = {0};
	assert_true(virtq_read(&dev, &chain, 0, buf, 11));
	assert_string_equal(buf, "hello world");
	assert_true(virtq_read(&dev, &chain, 4, buf, 4));
	assert_memory_equal(buf, "o wo", 4);
	assert_false(virtq_read(&dev, &chain, 8, buf, 4)); /* past the readable part */
	assert_true(virtq_write(&dev, &chain, 2, "abcdef", 6));
	assert_memory_equal(fake_gpa(BUF + 0x202), "abcdef", 6);
	assert_false(virtq_write(&dev, &chain, 4, "abcdef", 6));
	virtq_push(&dev, 0, &chain, 8);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(used_id(QSIZE, 0), 3);
	assert_int_equal(used_len(QSIZE, 0), 8);
	assert_false(virtq_has_avail(&dev, 0));
	assert_int_equal(virtq_pop(&dev, 0, &chain), 0);
	assert_false(dev.broken);
}

/* One indirect descriptor whose table holds a readable and a writable buffer. */
static void test_indirect_chain(void **state)
{
	(void)state;
	u64 table = BUF + 0x1000;
	desc(table, 0, BUF, 4, D_NEXT, 2);
	desc(table, 2, BUF + 0x100, 16, D_WRITE, 0);
	desc(DESC, 5, table, 3 * 16, D_INDIRECT | D_WRITE /* ignored */, 0);
	offer(QSIZE, 5);
	assert_int_equal(virtq_pop(&dev, 0, &chain), 1);
	assert_int_equal(chain.head, 5);
	assert_int_equal(chain.nout, 1);
	assert_int_equal(chain.nin, 1);
	assert_int_equal(chain.seg[1].gpa, BUF + 0x100);
	assert_int_equal(chain.in_len, 16);
}

/* 2.7.5.3.2: direct descriptors followed by one indirect descriptor. */
static void test_mixed_chain(void **state)
{
	(void)state;
	u64 table = BUF + 0x1000;
	desc(table, 0, BUF + 0x100, 32, D_WRITE, 0);
	desc(DESC, 0, BUF, 4, D_NEXT, 1);
	desc(DESC, 1, table, 16, D_INDIRECT, 0);
	offer(QSIZE, 0);
	assert_int_equal(virtq_pop(&dev, 0, &chain), 1);
	assert_int_equal(chain.nout, 1);
	assert_int_equal(chain.nin, 1);
	assert_int_equal(chain.out_len, 4);
	assert_int_equal(chain.in_len, 32);
}

/* Zero-length descriptors move nothing and are not segments. */
static void test_empty_descriptors(void **state)
{
	(void)state;
	desc(DESC, 0, 0, 0, D_NEXT, 1);
	desc(DESC, 1, BUF, 8, D_WRITE, 0);
	offer(QSIZE, 0);
	assert_int_equal(virtq_pop(&dev, 0, &chain), 1);
	assert_int_equal(chain.nout + chain.nin, 1);
}

static void test_loop(void **state)
{
	(void)state;
	desc(DESC, 0, BUF, 8, D_NEXT, 1);
	desc(DESC, 1, 0, 0, D_NEXT, 0); /* zero-length, so only the count can stop it */
	offer(QSIZE, 0);
	lie("descriptor loop");
}

static void test_loop_in_indirect_table(void **state)
{
	(void)state;
	u64 table = BUF + 0x1000;
	desc(table, 0, 0, 0, D_NEXT, 0);
	desc(DESC, 0, table, 16, D_INDIRECT, 0);
	offer(QSIZE, 0);
	lie("descriptor loop");
}

static void test_buffer_outside_ram(void **state)
{
	(void)state;
	desc(DESC, 0, RAM - 4, 8, 0, 0);
	offer(QSIZE, 0);
	lie("buffer outside RAM");
}

static void test_buffer_wraps(void **state)
{
	(void)state;
	desc(DESC, 0, ~0ull - 3, 8, 0, 0);
	offer(QSIZE, 0);
	lie("buffer outside RAM");
}

/* More than VIRTQ_SEGS_MAX segments, through an indirect table. */
static void test_chain_too_long(void **state)
{
	(void)state;
	u64 table = BUF + 0x1000;
	for (u16 i = 0; i <= VIRTQ_SEGS_MAX; i++)
		desc(table, i, BUF, 8, i < VIRTQ_SEGS_MAX ? D_NEXT : 0, (u16)(i + 1));
	desc(DESC, 0, table, 16 * (VIRTQ_SEGS_MAX + 1), D_INDIRECT, 0);
	offer(QSIZE, 0);
	lie("chain too long");
}

/* 2.7.5.3.1: a chain no longer than the queue, indirect or not: QSIZE segments through an
 * indirect table pass, QSIZE + 1 break the rule (VIRTQ_SEGS_MAX is larger). */
static void test_chain_longer_than_queue(void **state)
{
	(void)state;
	_Static_assert(QSIZE < VIRTQ_SEGS_MAX, "the queue is the limit here");
	u64 table = BUF + 0x1000;
	for (u16 i = 0; i <= QSIZE; i++)
		desc(table, i, BUF, 8, i < QSIZE ? D_NEXT : 0, (u16)(i + 1));
	desc(DESC, 0, table, 16 * QSIZE, D_INDIRECT, 0);
	desc(table, QSIZE - 1, BUF, 8, 0, 0);
	offer(QSIZE, 0);
	assert_int_equal(virtq_pop(&dev, 0, &chain), 1);
	assert_int_equal(chain.nout, QSIZE);
	desc(table, QSIZE - 1, BUF, 8, D_NEXT, QSIZE);
	desc(DESC, 0, table, 16 * (QSIZE + 1), D_INDIRECT, 0);
	offer(QSIZE, 0);
	lie("chain too long");
}

static void test_writable_before_readable(void **state)
{
	(void)state;
	desc(DESC, 0, BUF, 8, D_WRITE | D_NEXT, 1);
	desc(DESC, 1, BUF, 8, 0, 0);
	offer(QSIZE, 0);
	lie("readable descriptor after a writable one");
}

static void test_next_past_table(void **state)
{
	(void)state;
	desc(DESC, 0, BUF, 8, D_NEXT, QSIZE);
	offer(QSIZE, 0);
	lie("next descriptor past the table");
}

static void test_head_past_ring(void **state)
{
	(void)state;
	offer(QSIZE, QSIZE);
	lie("head 16 past the queue's 16 entries");
}

static void test_avail_idx_too_far(void **state)
{
	(void)state;
	*avail_idx() = QSIZE + 1;
	lie("avail idx 17 is 17 entries past 0");
}

/* Indirect descriptors need the feature, are never nested, hold whole descriptors, never come
 * with NEXT, and their table is RAM. */
static void test_indirect_rules(void **state)
{
	static const struct {
		u64 features;
		u32 len;
		u16 flags;
		bool nested;
		u64 table;
		const char *why;
	} cases[] = {
		{VIRTIO_F_VERSION_1, 16, 0, false, BUF, "indirect descriptor not negotiated"},
		{VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC, 24, 0, false, BUF,
		 "not a multiple of 16"},
		{VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC, 16, D_NEXT, false, BUF,
		 "indirect descriptor with NEXT"},
		{VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC, 16, 0, true, BUF,
		 "nested indirect descriptor"},
		{VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC, 32, 0, false, RAM - 16,
		 "indirect table outside RAM"},
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		start(cases[i].features);
		desc(cases[i].table, 0, BUF + 0x100, 8, cases[i].nested ? D_INDIRECT : 0, 0);
		desc(DESC, 0, cases[i].table, cases[i].len, D_INDIRECT | cases[i].flags, 1);
		offer(QSIZE, 0);
		lie(cases[i].why);
	}
}

/* A broken device ignores its queues, logs once, and works again after a reset. */
static void test_broken_until_reset(void **state)
{
	(void)state;
	offer(QSIZE, QSIZE);
	lie("past the queue");
	desc(DESC, 0, BUF, 8, D_WRITE, 0);
	offer(QSIZE, 0);
	assert_int_equal(virtq_pop(&dev, 0, &chain), 0);
	assert_false(virtq_has_avail(&dev, 0));
	assert_false(virtio_queue_ready(&dev, 0));
	virtio_fail(&dev, "again");
	assert_int_equal(log_count(), 1);
	wr(&dev, C_STATUS, 1, 0);
	assert_false(dev.broken);
	assert_int_equal(rd(&dev, C_STATUS, 1), 0);
	memset(fake_gpa(AVAIL), 0, 0x2000);
	assert_true(negotiate(&dev, VIRTIO_F_VERSION_1) & VIRTIO_S_FEATURES_OK);
	queue_at(&dev, 0, QSIZE, DESC, AVAIL, USED);
	driver_ok(&dev);
	offer(QSIZE, 0);
	assert_int_equal(virtq_pop(&dev, 0, &chain), 1);
}

/* The indices run through 65535 to 0: the ring slot is idx % size on both sides. */
static void test_idx_wrap(void **state)
{
	(void)state;
	dev.vq[0].last_avail = dev.vq[0].used_idx = dev.vq[0].signalled = 65534;
	*avail_idx() = 65534;
	*(u16 *)fake_gpa(USED + 2) = 65534;
	desc(DESC, 0, BUF, 8, D_WRITE, 0);
	desc(DESC, 1, BUF + 8, 8, D_WRITE, 0);
	desc(DESC, 2, BUF + 16, 8, D_WRITE, 0);
	for (u16 h = 0; h < 3; h++)
		offer(QSIZE, h);
	assert_int_equal(*avail_idx(), 1);
	for (u16 h = 0; h < 3; h++) {
		assert_int_equal(virtq_pop(&dev, 0, &chain), 1);
		assert_int_equal(chain.head, h);
		virtq_push(&dev, 0, &chain, h);
	}
	assert_int_equal(virtq_pop(&dev, 0, &chain), 0);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(used_id(QSIZE, 65534), 0);
	assert_int_equal(used_id(QSIZE, 65535), 1);
	assert_int_equal(used_id(QSIZE, 0), 2);
	assert_int_equal(used_len(QSIZE, 0), 2);
}

/* push clamps the written length to the chain's writable bytes. */
static void test_used_len_clamped(void **state)
{
	(void)state;
	desc(DESC, 0, BUF, 8, D_WRITE, 0);
	offer(QSIZE, 0);
	assert_int_equal(virtq_pop(&dev, 0, &chain), 1);
	virtq_push(&dev, 0, &chain, 1000);
	assert_int_equal(used_len(QSIZE, 0), 8);
}

/* Chains put back are taken again, in order; filled chains reach the driver only at the
 * flush, together. */
static void test_unpop_fill_flush(void **state)
{
	(void)state;
	desc(DESC, 4, BUF, 8, D_WRITE, 0);
	desc(DESC, 6, BUF + 0x100, 8, D_WRITE, 0);
	offer(QSIZE, 4);
	offer(QSIZE, 6);
	assert_int_equal(virtq_pop(&dev, 0, &chain), 1);
	assert_int_equal(virtq_pop(&dev, 0, &chain), 1);
	assert_int_equal(virtq_pop(&dev, 0, &chain), 0);
	virtq_unpop(&dev, 0, 2);
	assert_true(virtq_has_avail(&dev, 0));
	assert_int_equal(virtq_pop(&dev, 0, &chain), 1);
	assert_int_equal(chain.head, 4);
	virtq_fill(&dev, 0, &chain, 8);
	assert_int_equal(virtq_pop(&dev, 0, &chain), 1);
	assert_int_equal(chain.head, 6);
	virtq_fill(&dev, 0, &chain, 3);
	assert_int_equal(used_idx(), 0);
	virtq_flush(&dev, 0);
	assert_int_equal(used_idx(), 2);
	assert_int_equal(used_id(QSIZE, 0), 4);
	assert_int_equal(used_id(QSIZE, 1), 6);
	assert_int_equal(used_len(QSIZE, 1), 3);
}

/* One chain made available, taken, given back; the signal that follows. */
static void one_round(void)
{
	desc(DESC, 0, BUF, 8, D_WRITE, 0);
	offer(QSIZE, 0);
	assert_int_equal(virtq_pop(&dev, 0, &chain), 1);
	virtq_push(&dev, 0, &chain, 8);
	virtq_signal(&dev, 0);
}

/* 2.7.7: without EVENT_IDX, one interrupt per signal with something new, none with
 * NO_INTERRUPT; INTx and ISR bit 0 when MSI-X is off. */
static void test_signal_flags(void **state)
{
	(void)state;
	one_round();
	assert_int_equal(fake_nmsix, 1);
	assert_int_equal(fake_msix_sent[0], 0);
	virtq_signal(&dev, 0); /* nothing new */
	assert_int_equal(fake_nmsix, 1);
	*avail_flags() = 1;
	one_round();
	assert_int_equal(fake_nmsix, 1);
	*avail_flags() = 0;
	fake_msix_on = false;
	one_round();
	assert_int_equal(fake_nmsix, 1);
	assert_true(dev.pci.intx);
	assert_int_equal(dev.isr, 1);
}

/* 2.7.10: with EVENT_IDX the device interrupts when used idx passes used_event, and tells the
 * driver in avail_event where it stands. */
static void test_signal_event_idx(void **state)
{
	(void)state;
	start(VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX);
	*used_event(QSIZE) = 0; /* interrupt after the first */
	one_round();
	assert_int_equal(fake_nmsix, 1);
	assert_int_equal(avail_event(QSIZE), 1);
	one_round(); /* used_event 0 already passed: no interrupt */
	assert_int_equal(fake_nmsix, 1);
	*used_event(QSIZE) = 3; /* after the fourth */
	one_round();
	assert_int_equal(fake_nmsix, 1);
	one_round();
	assert_int_equal(fake_nmsix, 2);
	*avail_flags() = 1; /* the flag means nothing with EVENT_IDX */
	*used_event(QSIZE) = 4;
	one_round();
	assert_int_equal(fake_nmsix, 3);
	assert_int_equal(avail_event(QSIZE), 5);
}

/* Notifying a queue reaches the kind only when the queue is ready. */
static void test_ready(void **state)
{
	(void)state;
	assert_false(virtio_queue_ready(&dev, 1)); /* not enabled */
	assert_false(virtio_queue_ready(&dev, 2)); /* no such queue */
	assert_int_equal(virtq_pop(&dev, 1, &chain), 0);
	assert_false(virtq_has_avail(&dev, 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_direct_chain, setup),
		cmocka_unit_test_setup(test_indirect_chain, setup),
		cmocka_unit_test_setup(test_mixed_chain, setup),
		cmocka_unit_test_setup(test_empty_descriptors, setup),
		cmocka_unit_test_setup(test_loop, setup),
		cmocka_unit_test_setup(test_loop_in_indirect_table, setup),
		cmocka_unit_test_setup(test_buffer_outside_ram, setup),
		cmocka_unit_test_setup(test_buffer_wraps, setup),
		cmocka_unit_test_setup(test_chain_too_long, setup),
		cmocka_unit_test_setup(test_chain_longer_than_queue, setup),
		cmocka_unit_test_setup(test_writable_before_readable, setup),
		cmocka_unit_test_setup(test_next_past_table, setup),
		cmocka_unit_test_setup(test_head_past_ring, setup),
		cmocka_unit_test_setup(test_avail_idx_too_far, setup),
		cmocka_unit_test_setup(test_indirect_rules, setup),
		cmocka_unit_test_setup(test_broken_until_reset, setup),
		cmocka_unit_test_setup(test_idx_wrap, setup),
		cmocka_unit_test_setup(test_used_len_clamped, setup),
		cmocka_unit_test_setup(test_unpop_fill_flush, setup),
		cmocka_unit_test_setup(test_signal_flags, setup),
		cmocka_unit_test_setup(test_signal_event_idx, setup),
		cmocka_unit_test_setup(test_ready, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
