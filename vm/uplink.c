/* The uplink (vm/uplink.h): a switch port whose far side is a host NIC. Here in vm/ beside the
 * switch, above the NIC drivers it calls (drivers/hnic.h). */
#include "vm/uplink.h"
#include "drivers/hnic.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "vm/vswitch.h"

static struct {
	struct hnic *nic;     /* NULL: no uplink */
	struct spinlock lock; /* the NIC, and the frame buffers; taken after no switch lock */
	struct vsw_port port;
	u8 ring[VSW_QUEUE_BYTES];
	u8 out[VSW_FRAME_MAX], in[HNIC_FRAME_MAX];
	u64 lost; /* frames for the NIC lost at its full transmit ring */
} up;

/* Send every frame queued on the uplink port out of the NIC, with the checksums the VMs left
 * for the network filled in (the NIC is asked for no offloads). Lock held. */
static void drain(void)
{
	struct vsw_meta m;
	u32 len;
	while ((len = vsw_recv(&up.port, &m, up.out))) {
		if (!vsw_csum_fill(up.out, len, &m) || !up.nic->ops->send(up.nic, up.out, len))
			up.lost++;
		else
			up.nic->tx++;
	}
}

/* The switch queued frames for the uplink (on the sender's CPU, with no switch lock). */
static void uplink_receive(struct vsw_port *p)
{
	(void)p;
	spin_lock(&up.lock);
	drain();
	spin_unlock(&up.lock);
}

void uplink_poll(void)
{
	if (!up.nic)
		return;
	spin_lock(&up.lock);
	drain();
	static const struct vsw_meta none;
	for (u32 i = 0; i < UPLINK_BATCH; i++) {
		u32 len = up.nic->ops->recv(up.nic, up.in);
		if (!len)
			break;
		up.nic->rx++;
		vsw_send(&up.port, &none, up.in, len); /* never back to this port: no deadlock */
	}
	spin_unlock(&up.lock);
}

u64 uplink_poll_again(void)
{
	return up.nic ? UPLINK_POLL_US : 0;
}

void uplink_start(const char *sw_name, const char *host)
{
	if (host[0])
		log_info("keel: host name %s", host);
	if (!sw_name[0])
		return;
	struct vswitch *sw = vswitch_find(sw_name);
	if (!sw) {
		log_err("uplink: no VM uses switch %s: no uplink", sw_name);
		return;
	}
	struct hnic *n = hnic_first();
	if (!n) {
		log_err("uplink: no host NIC found (virtio-net-pci or e1000): switch %s stays "
			"inside this keel",
			sw_name);
		return;
	}
	if (!vsw_attach(sw, &up.port, "uplink", up.ring, sizeof(up.ring), uplink_receive, NULL))
		return;
	const u8 *m = n->mac;
	log_info("uplink: switch %s on host NIC %s %02x:%02x:%02x:%02x:%02x:%02x", sw_name,
		 n->ops->model, m[0], m[1], m[2], m[3], m[4], m[5]);
	__atomic_store_n(&up.nic, n, __ATOMIC_RELEASE);
}
