/* virtio-console (virtio 1.2, 5.3): hvc0 for a VM defined with console=virtio. One port, no
 * MULTIPORT, so two queues: receiveq0 (keel's console input into the guest) and transmitq0
 * (the guest's output). Output becomes "[NAME] text" lines on keel's log as the UART's does,
 * through a guest_line of its own so hvc0 and ttyS0 lines never mix mid-line. Console input
 * waits in a bounded buffer until the driver makes receive buffers available. EMERG_WRITE
 * (5.3.4) takes one byte of output through the configuration space, before any queue works. */
#include "vdev/virtio_kinds.h"
#include "vdev/vdev.h"
#include "lib/string.h"

enum { RXQ = 0, TXQ = 1 };     /* 5.3.2: receiveq(port0), transmitq(port0) */
#define F_EMERG_WRITE	BIT(2) /* 5.3.3 */
#define CFG_MAX_PORTS	4      /* 5.3.4: cols (0), rows (2), max_nr_ports (4) */
#define CFG_EMERG_WR	8      /* 5.3.4: emerg_wr, le32 */
#define CFG_SIZE	12
#define RX_BUF		1024		     /* console bytes waiting for the driver's buffers */
#define CHUNK		256		     /* bytes copied out of a transmit chain at a time */
#define CHAIN_LOG_MAX	(64u * 1024u)	     /* bytes of one transmit chain that reach the log */
#define CHAINS_PER_KICK (4 * VIRTQ_SIZE_MAX) /* chains one notify handles at most */

struct vcons {
	struct guest_line out; /* hvc0 output not yet logged */
	u16 rx_head, rx_len;   /* console input waiting, a ring in rx */
	u8 rx[RX_BUF];
	struct virtq_chain rx_chain, tx_chain; /* off the exit path's stack: 4 KiB each */
};

/* One hvc0 for a VM defined with console=virtio. */
static u32 vcons_count(const struct vm *vm)
{
	return vm->hw.virtio_console ? 1 : 0;
}

/* Console input wakes a halted guest only while the driver can receive it. */
static void update_wakes(struct virtio_dev *d)
{
	d->vm->console_wakes = virtio_queue_ready(d, RXQ);
}

/* Hand buffered input to the driver's receive buffers, as much as each takes (5.3.6: a
 * receive buffer is device-writable only). A chain with no writable part breaks the rules. */
static void deliver(struct virtio_dev *d)
{
	struct vcons *c = d->state;
	struct virtq_chain *ch = &c->rx_chain;
	bool pushed = false;
	while (c->rx_len && virtio_queue_ready(d, RXQ) && virtq_pop(d, RXQ, ch) == 1) {
		if (!ch->in_len) {
			virtio_fail(d, "receive buffer %u has no writable part", ch->head);
			return;
		}
		u32 n = MIN((u32)c->rx_len, ch->in_len);
		u32 first = MIN(n, (u32)(RX_BUF - c->rx_head)); /* up to the ring's wrap */
		virtq_write(d, ch, 0, c->rx + c->rx_head, first);
		if (n > first)
			virtq_write(d, ch, first, c->rx, n - first);
		c->rx_head = (u16)((c->rx_head + n) % RX_BUF);
		c->rx_len = (u16)(c->rx_len - n);
		virtq_push(d, RXQ, ch, n);
		pushed = true;
	}
	if (pushed)
		virtq_signal(d, RXQ);
}

/* A byte typed on keel's console for this VM (vm_set_console_input; called without the
 * device lock, vm/console.c): false while the buffer is full, and the console offers it again. */
static bool vcons_input(struct vm *vm, u8 b)
{
	dev_lock(vm);
	struct virtio_dev *d = virtio_find(vm, &vcons_kind, 0);
	struct vcons *c = d ? d->state : NULL;
	bool taken = !c || c->rx_len < RX_BUF;
	if (c && taken) {
		c->rx[(c->rx_head + c->rx_len++) % RX_BUF] = b;
		deliver(d);
		update_wakes(d); /* a lying receive buffer ends the wait */
	}
	dev_unlock(vm);
	return taken;
}

/* Log one transmit chain's bytes: all of it is consumed, at most CHAIN_LOG_MAX is logged. */
static void transmit(struct virtio_dev *d, const struct virtq_chain *ch)
{
	struct vcons *c = d->state;
	u8 buf[CHUNK];
	u32 len = MIN(ch->out_len, CHAIN_LOG_MAX);
	// cppcheck-suppress knownConditionTrueFalse ; it misses virtq_pop filling out_len
	for (u32 off = 0; off < len; off += CHUNK) {
		u32 n = MIN((u32)CHUNK, len - off);
		if (!virtq_read(d, ch, off, buf, n))
			break;
		guest_line_put(&c->out, d->vm->name, buf, n);
	}
	if (ch->out_len > CHAIN_LOG_MAX)
		log_warn("vm %s: %s %u: an output buffer of %u bytes: only %u logged", d->vm->name,
			 d->kind->name, d->index, ch->out_len, CHAIN_LOG_MAX);
}

/* The driver's output on transmitq0 (5.3.6): each chain's readable bytes go to the log, and
 * the chain goes back used with nothing written. */
static void drain_tx(struct virtio_dev *d)
{
	struct virtq_chain *ch = &((struct vcons *)d->state)->tx_chain;
	u32 n = 0;
	while (n < CHAINS_PER_KICK && virtq_pop(d, TXQ, ch) == 1) {
		transmit(d, ch);
		virtq_push(d, TXQ, ch, 0);
		n++;
	}
	if (n)
		virtq_signal(d, TXQ);
}

/* A queue was notified: output to log, or new receive buffers for waiting input. */
static void vcons_notify(struct virtio_dev *d, u16 q)
{
	if (q == TXQ)
		drain_tx(d);
	else if (q == RXQ)
		deliver(d);
	update_wakes(d);
}

/* emerg_wr (5.3.4): a byte written there is output at once, with no queue. */
static void vcons_config_write(struct virtio_dev *d, u32 off, u32 len)
{
	if (off > CFG_EMERG_WR || off + len <= CFG_EMERG_WR)
		return;
	struct vcons *c = d->state;
	u8 b = d->config[CFG_EMERG_WR];
	guest_line_put(&c->out, d->vm->name, &b, 1);
	memset(d->config + CFG_EMERG_WR, 0, 4); /* write-only: reads give 0 */
}

/* Before the driver found it: output not yet logged is logged, input waiting is dropped (as
 * the UART's FIFO is at a reset). */
static void vcons_reset(struct virtio_dev *d)
{
	struct vcons *c = d->state;
	guest_line_flush(&c->out, d->vm->name);
	c->rx_head = c->rx_len = 0;
	update_wakes(d);
}

/* One port, EMERG_WRITE; keel's console input for this VM comes here, not to the UART. */
static bool vcons_init(struct virtio_dev *d, u32 index)
{
	(void)index;
	memset(d->state, 0, sizeof(struct vcons)); /* whatever the transport's allocator gives */
	d->features = F_EMERG_WRITE;
	d->config[CFG_MAX_PORTS] = 1; /* max_nr_ports: read only with MULTIPORT, but true */
	vm_set_console_input(d->vm, vcons_input);
	return true;
}

/* Its part of the VM's record (vdev/virtio_rec.c): the output line not yet logged and the
 * input waiting for the driver's buffers, as the UART's record keeps its own. */
struct vcons_rec {
	u16 out_len;		  /* 0x000 0-GUEST_LINE_MAX */
	u8 out_more;		  /* 0x002 0-1: a piece of the line is logged already */
	u8 zero;		  /* 0x003 */
	u16 rx_head, rx_len;	  /* 0x004 below RX_BUF, at most RX_BUF */
	char out[GUEST_LINE_MAX]; /* 0x008 */
	u8 rx[RX_BUF];		  /* 0x198 a ring */
};
_Static_assert(sizeof(struct vcons_rec) == 0x598 && sizeof(struct vcons_rec) <= VIRTIO_KIND_REC_MAX,
	       "virtio-console record");

static void vcons_rec_save(const struct virtio_dev *d, void *p)
{
	const struct vcons *c = d->state;
	struct vcons_rec r = {c->out.len, c->out.more, 0, c->rx_head, c->rx_len, {0}, {0}};
	memcpy(r.out, c->out.buf, sizeof(r.out));
	memcpy(r.rx, c->rx, sizeof(r.rx));
	memcpy(p, &r, sizeof(r));
}

static const char *vcons_rec_check(const struct virtio_dev *d, const void *p)
{
	struct vcons_rec r;
	(void)d;
	memcpy(&r, p, sizeof(r));
	if (r.out_len > GUEST_LINE_MAX || r.out_more > 1 || r.zero)
		return "virtio-console output line out of range";
	return r.rx_head < RX_BUF && r.rx_len <= RX_BUF ? NULL
							: "virtio-console input out of range";
}

static void vcons_rec_load(struct virtio_dev *d, const void *p)
{
	struct vcons *c = d->state;
	struct vcons_rec r;
	memcpy(&r, p, sizeof(r));
	c->out.len = r.out_len;
	c->out.more = r.out_more;
	memcpy(c->out.buf, r.out, sizeof(r.out));
	c->rx_head = r.rx_head;
	c->rx_len = r.rx_len;
	memcpy(c->rx, r.rx, sizeof(r.rx));
	update_wakes(d);
}

const struct virtio_kind vcons_kind = {
	.name = "virtio-console",
	.id = VIRTIO_ID_CONSOLE,
	.class_code = 0x078000, /* simple communication controller, other */
	.nqueues = 2,
	.queue_size = VIRTQ_SIZE_MAX,
	.state_size = sizeof(struct vcons),
	.config_size = CFG_SIZE,
	.count = vcons_count,
	.init = vcons_init,
	.reset = vcons_reset,
	.config_write = vcons_config_write,
	.notify = vcons_notify,
	.rec_size = sizeof(struct vcons_rec),
	.rec_save = vcons_rec_save,
	.rec_check = vcons_rec_check,
	.rec_load = vcons_rec_load,
};
