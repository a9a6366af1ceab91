/* vdev/vcons.c, the virtio-console kind, alone: over a fake transport (the virtio.h calls,
 * below) whose queues hand out the chains a test queues, so each test says exactly what the
 * driver gave and checks what the device gave back. Linked without vdev/virtio*.c and
 * vdev/virtq*.c (Makefile). */
#include "tests/unit/fakes_vdev.h"
#include "vdev/virtio_kinds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RXQ = 0, TXQ = 1 };

/* A chain the fake driver made available: out bytes readable, in_cap bytes writable. */
struct fchain {
	u8 out[100000];
	u32 out_len, in_cap;
	u8 in[4096];
	u32 written;
	bool used;
};
static struct fchain *pending[2][16];
static int npending[2], ntaken[2], nsignals[2];
static bool lie;

static struct virtio_dev dev;
static u8 state[16384];

// cppcheck-suppress constParameter ; the contract's signature (vdev/virtio.h)
struct virtio_dev *virtio_find(struct vm *vm, const struct virtio_kind *kind, u32 index)
{
	assert_int_equal(fake_lock_depth, 1);
	return vm == dev.vm && kind == dev.kind && !index ? &dev : NULL;
}

bool virtio_queue_ready(const struct virtio_dev *d, u16 q)
{
	return (d->status & VIRTIO_S_DRIVER_OK) && !d->broken && d->vq[q].enabled;
}

void virtio_fail(struct virtio_dev *d, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	d->broken = true;
	log_msg(0, "vm %s: %s %u: %s", d->vm->name, d->kind->name, d->index, why);
}

void virtio_config_changed(struct virtio_dev *d)
{
	(void)d;
}

int virtq_pop(struct virtio_dev *d, u16 q, struct virtq_chain *c)
{
	assert_true(virtio_queue_ready(d, q));
	if (lie) {
		virtio_fail(d, "a lie");
		return -1;
	}
	if (ntaken[q] == npending[q])
		return 0;
	struct fchain *f = pending[q][ntaken[q]];
	*c = (struct virtq_chain){
		.head = (u16)ntaken[q]++, .out_len = f->out_len, .in_len = f->in_cap};
	c->nout = f->out_len ? 1 : 0;
	c->nin = f->in_cap ? 1 : 0;
	return 1;
}

bool virtq_read(struct virtio_dev *d, const struct virtq_chain *c, u32 off, void *buf, u32 len)
{
	(void)d;
	assert_true(c->head < 16);
	struct fchain *f = pending[TXQ][c->head];
	if ((u64)off + len > f->out_len)
		return false;
	memcpy(buf, f->out + off, len);
	return true;
}

bool virtq_write(struct virtio_dev *d, const struct virtq_chain *c, u32 off, const void *buf,
		 u32 len)
{
	(void)d;
	struct fchain *f = pending[RXQ][c->head];
	if ((u64)off + len > f->in_cap)
		return false;
	memcpy(f->in + off, buf, len);
	return true;
}

void virtq_push(struct virtio_dev *d, u16 q, const struct virtq_chain *c, u32 written)
{
	(void)d;
	struct fchain *f = pending[q][c->head];
	assert_false(f->used);
	f->used = true;
	f->written = written;
}

/* virtio-net's merged receive buffers (linked in, never reached here). */
void virtq_fill(struct virtio_dev *d, u16 q, const struct virtq_chain *c, u32 written)
{
	virtq_push(d, q, c, written);
}

void virtq_flush(struct virtio_dev *d, u16 q)
{
	(void)d, (void)q;
}

void virtq_unpop(struct virtio_dev *d, u16 q, u16 n)
{
	(void)d, (void)q, (void)n;
	fail();
}

void virtq_signal(struct virtio_dev *d, u16 q)
{
	(void)d;
	nsignals[q]++;
}

bool virtq_has_avail(struct virtio_dev *d, u16 q)
{
	(void)d;
	return ntaken[q] < npending[q];
}

/* ---- the fake driver ---- */

static struct fchain *offer(u16 q, const char *out, u32 in_cap)
{
	struct fchain *f = calloc(1, sizeof(*f));
	if (out) {
		f->out_len = (u32)strlen(out);
		memcpy(f->out, out, f->out_len);
	}
	f->in_cap = in_cap;
	pending[q][npending[q]++] = f;
	return f;
}

/* A fresh VM with console=virtio and its hvc0 set up; driver_ok: the driver is done. */
static struct vm *setup(bool driver_ok)
{
	struct vm *vm = fake_vm(1, 16 << 20);
	strcpy(vm->name, "vm");
	vm->hw.virtio_console = true;
	for (int q = 0; q < 2; q++) {
		for (int i = 0; i < npending[q]; i++)
			free(pending[q][i]);
		npending[q] = ntaken[q] = nsignals[q] = 0;
	}
	lie = false;
	memset(state, 0, sizeof(state));
	assert_true(vcons_kind.state_size <= sizeof(state));
	dev = (struct virtio_dev){.kind = &vcons_kind, .vm = vm, .state = state};
	assert_true(vcons_kind.init(&dev, 0));
	vcons_kind.reset(&dev);
	if (driver_ok) {
		dev.status = VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK |
			     VIRTIO_S_DRIVER_OK;
		dev.vq[RXQ].enabled = dev.vq[TXQ].enabled = true;
	}
	log_reset();
	return vm;
}

/* Type s on keel's console for vm, as vm/console.c does (no lock held): bytes taken. */
static size_t type(struct vm *vm, const char *s)
{
	size_t n = 0;
	while (s[n] && vm->console_input(vm, (u8)s[n]))
		n++;
	return n;
}

static void test_count_and_identity(void **state_)
{
	(void)state_;
	struct vm *vm = fake_vm(1, 16 << 20);
	assert_int_equal(vcons_kind.count(vm), 0);
	vm->hw.virtio_console = true;
	assert_int_equal(vcons_kind.count(vm), 1);
	assert_int_equal(vcons_kind.id, VIRTIO_ID_CONSOLE);
	assert_int_equal(vcons_kind.nqueues, 2); /* no MULTIPORT: receiveq0, transmitq0 */
	vm = setup(false);
	assert_true(dev.features & BIT(2)); /* EMERG_WRITE */
	assert_false(dev.features & BIT(1));
	assert_int_equal(dev.config[4], 1); /* max_nr_ports */
	assert_non_null(vm->console_input);
}

static void test_output_lines(void **state_)
{
	(void)state_;
	setup(true);
	struct fchain *a = offer(TXQ, "hello ", 0), *b = offer(TXQ, "world\r\nsecond\npart", 0);
	vcons_kind.notify(&dev, TXQ);
	assert_true(a->used && b->used);
	assert_int_equal(a->written, 0);
	assert_int_equal(nsignals[TXQ], 1);
	assert_int_equal(log_count(), 2);
	assert_string_equal(log_line(0), "[vm] hello world");
	assert_string_equal(log_line(1), "[vm] second");
	vcons_kind.reset(&dev); /* what is left is logged, not lost */
	assert_int_equal(log_count(), 3);
	assert_string_equal(log_line(2), "[vm] part");
	vcons_kind.notify(&dev, TXQ); /* nothing new: no interrupt */
	assert_int_equal(nsignals[TXQ], 1);
}

static void test_output_is_tamed(void **state_)
{
	(void)state_;
	setup(true);
	offer(TXQ, "\x1b[2Jgone\n", 0);
	vcons_kind.notify(&dev, TXQ);
	assert_string_equal(log_line(0), "[vm] .[2Jgone");
}

/* One chain's bytes reach the log up to 64 KiB; the rest is consumed, with a warning. */
static void test_huge_output(void **state_)
{
	(void)state_;
	setup(true);
	struct fchain *f = offer(TXQ, NULL, 0);
	f->out_len = sizeof(f->out);
	for (u32 i = 0; i < f->out_len; i++)
		f->out[i] = i % 400 == 399 ? '\n' : 'x'; /* 399-byte lines */
	vcons_kind.notify(&dev, TXQ);
	assert_true(f->used);
	assert_true(log_contains("only 65536 logged"));
	assert_int_equal(log_count(), 65536 / 400 + 1);
}

static void test_input_waits_for_buffers(void **state_)
{
	(void)state_;
	struct vm *vm = setup(false);
	assert_false(vm->console_wakes); /* no driver: typing wakes nothing */
	assert_int_equal(type(vm, "abcdef\r"), 7);
	dev.status = VIRTIO_S_DRIVER_OK;
	dev.vq[RXQ].enabled = dev.vq[TXQ].enabled = true;
	struct fchain *a = offer(RXQ, NULL, 4), *b = offer(RXQ, NULL, 64);
	vcons_kind.notify(&dev, RXQ);
	assert_true(vm->console_wakes);
	assert_true(a->used && b->used);
	assert_int_equal(a->written, 4);
	assert_memory_equal(a->in, "abcd", 4);
	assert_int_equal(b->written, 3);
	assert_memory_equal(b->in, "ef\r", 3);
	assert_int_equal(nsignals[RXQ], 1);
	/* With a buffer waiting, a byte typed goes straight in. */
	struct fchain *c = offer(RXQ, NULL, 64);
	assert_int_equal(type(vm, "z"), 1);
	assert_true(c->used);
	assert_int_equal(c->written, 1);
	assert_int_equal(c->in[0], 'z');
	assert_int_equal(nsignals[RXQ], 2);
}

/* The buffer is bounded: a full one refuses (keel's console offers the byte again); it wraps
 * around as the driver takes bytes. */
static void test_input_bounded_and_wraps(void **state_)
{
	(void)state_;
	static char big[3000];
	struct vm *vm = setup(true);
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	size_t took = type(vm, big);
	assert_true(took >= 256 && took < sizeof(big) - 1);
	for (size_t left = took; left;) {
		struct fchain *f = offer(RXQ, NULL, 700);
		vcons_kind.notify(&dev, RXQ);
		assert_true(f->used);
		assert_int_equal(f->written, left < 700 ? left : 700);
		left -= f->written;
		if (npending[RXQ] == 16)
			break;
		assert_int_equal(type(vm, "r"), 1); /* room again */
		left++;
	}
}

static void test_rx_buffer_not_writable(void **state_)
{
	(void)state_;
	struct vm *vm = setup(true);
	offer(RXQ, "ro", 0);
	vcons_kind.notify(&dev, RXQ);
	assert_true(vm->console_wakes);
	type(vm, "x");
	assert_true(dev.broken);
	assert_false(vm->console_wakes);
	assert_true(log_contains("vm vm: virtio-console 0: receive buffer 0 has no writable part"));
}

/* A lying driver (the transport's virtq_pop fails the device): nothing more happens, and
 * typed bytes still wait (bounded) for a reset. */
static void test_lying_driver(void **state_)
{
	(void)state_;
	struct vm *vm = setup(true);
	lie = true;
	offer(TXQ, "never\n", 0);
	vcons_kind.notify(&dev, TXQ);
	assert_true(dev.broken);
	assert_false(log_contains("[vm] never"));
	vcons_kind.notify(&dev, RXQ);
	assert_false(vm->console_wakes);
	assert_int_equal(type(vm, "abc"), 3);
}

static void test_reset_drops_input(void **state_)
{
	(void)state_;
	struct vm *vm = setup(true);
	type(vm, "old");
	vcons_kind.notify(&dev, RXQ);
	assert_true(vm->console_wakes);
	dev.status = 0;
	dev.vq[RXQ].enabled = false;
	vcons_kind.reset(&dev);
	assert_false(vm->console_wakes);
	dev.status = VIRTIO_S_DRIVER_OK;
	dev.vq[RXQ].enabled = true;
	struct fchain *f = offer(RXQ, NULL, 16);
	vcons_kind.notify(&dev, RXQ);
	assert_false(f->used); /* nothing typed since */
}

/* emerg_wr (5.3.4): one byte out at a time, no queue, before DRIVER_OK too. */
static void test_emerg_write(void **state_)
{
	(void)state_;
	setup(false);
	const char *s = "ok\n";
	for (int i = 0; s[i]; i++) {
		dev.config[8] = (u8)s[i];
		vcons_kind.config_write(&dev, 8, 4);
		assert_int_equal(dev.config[8], 0); /* reads back 0 */
	}
	dev.config[0] = 'c';
	vcons_kind.config_write(&dev, 0, 2); /* cols: read-only, ignored */
	dev.config[10] = 'n';
	vcons_kind.config_write(&dev, 10, 1); /* emerg_wr's high bytes alone: not a write */
	assert_int_equal(log_count(), 1);
	assert_string_equal(log_line(0), "[vm] ok");
}

/* With console=virtio the UART neither takes keel's console input nor says whether input
 * would wake the guest, whatever the guest does to it (vdev/vuart.c). */
static void test_uart_steps_aside(void **state_)
{
	(void)state_;
	struct vm *vm = setup(false);
	bool (*input)(struct vm *, u8) = vm->console_input;
	vuart_ops.reset(vm, &fake_dev.uart);
	assert_ptr_equal(vm->console_input, input);
	fake_write(&vuart_ops, &fake_dev.uart, 0x3fc, 1, 0x08); /* MCR: OUT2 */
	fake_write(&vuart_ops, &fake_dev.uart, 0x3f9, 1, 0x01); /* IER: received data */
	assert_false(vm->console_wakes);
}

/* Its part of the VM's record keeps a line half written and input waiting: a fresh device
 * that loads it logs the line whole and hands the input to the driver's next buffer. */
static void test_record_round_trip(void **state_)
{
	static u8 rec[2][sizeof(state)];
	(void)state_;
	struct vm *vm = setup(true);
	offer(TXQ, "half a ", 0);
	vcons_kind.notify(&dev, TXQ);
	dev.vq[RXQ].enabled = false; /* no receive queue yet: typed bytes wait */
	assert_int_equal(type(vm, "typed"), 5);
	assert_true(vcons_kind.rec_size > 0 && vcons_kind.rec_size <= sizeof(rec[0]));
	vcons_kind.rec_save(&dev, rec[0]);
	vm = setup(true);
	assert_null(vcons_kind.rec_check(&dev, rec[0]));
	vcons_kind.rec_load(&dev, rec[0]);
	assert_true(vm->console_wakes);
	vcons_kind.rec_save(&dev, rec[1]);
	assert_memory_equal(rec[0], rec[1], vcons_kind.rec_size);
	struct fchain *in = offer(RXQ, NULL, 64);
	vcons_kind.notify(&dev, RXQ);
	assert_int_equal(in->written, 5);
	assert_memory_equal(in->in, "typed", 5);
	offer(TXQ, "line\n", 0);
	vcons_kind.notify(&dev, TXQ);
	assert_int_equal(log_count(), 1);
	assert_string_equal(log_line(0), "[vm] half a line");
}

/* Fields its own code could not leave are refused. */
static void test_record_refusals(void **state_)
{
	static u8 rec[sizeof(state)], bad[sizeof(state)];
	static const struct {
		u32 off, len;
		u8 b[2];
	} lies[] = {{0x000, 2, {0x91, 0x01}},  /* out_len 401 */
		    {0x002, 1, {2}},	       /* out_more */
		    {0x003, 1, {1}},	       /* reserved */
		    {0x004, 2, {0x00, 0x04}},  /* rx_head 1024 */
		    {0x006, 2, {0x01, 0x04}}}; /* rx_len 1025 */
	(void)state_;
	setup(true);
	vcons_kind.rec_save(&dev, rec);
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		memcpy(bad, rec, vcons_kind.rec_size);
		memcpy(bad + lies[i].off, lies[i].b, lies[i].len);
		assert_non_null(vcons_kind.rec_check(&dev, bad));
	}
	assert_null(vcons_kind.rec_check(&dev, rec));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_and_identity),
		cmocka_unit_test(test_output_lines),
		cmocka_unit_test(test_output_is_tamed),
		cmocka_unit_test(test_huge_output),
		cmocka_unit_test(test_input_waits_for_buffers),
		cmocka_unit_test(test_input_bounded_and_wraps),
		cmocka_unit_test(test_rx_buffer_not_writable),
		cmocka_unit_test(test_lying_driver),
		cmocka_unit_test(test_reset_drops_input),
		cmocka_unit_test(test_emerg_write),
		cmocka_unit_test(test_uart_steps_aside),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_record_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
