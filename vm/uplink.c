/* The uplink (vm/uplink.h): a switch port whose far side is a host NIC. Here in vm/ beside the
 * switch, above the NIC drivers it calls (drivers/hnic.h). It owns the NIC also for keel's own
 * link (uplink_tap), whose EtherType it sets apart from what goes into the switch. */
#include "vm/uplink.h"
#include "drivers/hnic.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "vm/vswitch.h"

static struct {
	struct hnic *nic; /* NULL: no uplink */
	bool switched;	  /* the NIC is a port of a switch (uplink=), not only the tap's */
	const struct uplink_tap *tap;
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
	if (!up.switched)
		return;
	while ((len = vsw_recv(&up.port, &m, up.out))) {
		if (!vsw_csum_fill(up.out, len, &m) || !up.nic->ops->send(up.nic, up.out, len))
			up.lost++;
		else
			up.nic->tx++;
	}
}

/* A frame of the tap's EtherType (IEEE 802 section 9.2: bytes 12-13, big-endian): keel's own,
 * never a switch's. */
static bool is_tapped(const u8 *f, u32 len)
{
	return up.tap && len >= 14 && (u16)(f[12] << 8 | f[13]) == up.tap->ethertype;
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
		if (is_tapped(up.in, len))
			up.tap->frame(up.in, len);
		else if (up.switched) /* never back to this port: no deadlock */
			vsw_send(&up.port, &none, up.in, len);
	}
	spin_unlock(&up.lock);
	if (up.tap && up.tap->poll)
		up.tap->poll();
}

u64 uplink_poll_again(void)
{
	if (!up.nic)
		return 0;
	u64 t = up.tap && up.tap->poll_again ? up.tap->poll_again() : 0;
	return t && t < UPLINK_POLL_US ? t : UPLINK_POLL_US;
}

bool uplink_tap(const struct uplink_tap *t)
{
	up.tap = t;
	if (up.nic)
		return true;
	struct hnic *n = hnic_first();
	if (!n) {
		log_err("uplink: no host NIC found (virtio-net-pci or e1000) for keel's link");
		return false;
	}
	__atomic_store_n(&up.nic, n, __ATOMIC_RELEASE);
	return true;
}

bool uplink_send_raw(const void *frame, u32 len)
{
	if (!up.nic)
		return false;
	spin_lock(&up.lock);
	bool ok = up.nic->ops->send(up.nic, frame, len);
	if (ok)
		up.nic->tx++;
	else
		up.lost++;
	spin_unlock(&up.lock);
	return ok;
}

const u8 *uplink_mac(void)
{
	return up.nic ? up.nic->mac : NULL;
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
	up.switched = true;
	log_info("uplink: switch %s on host NIC %s %02x:%02x:%02x:%02x:%02x:%02x", sw_name,
		 n->ops->model, m[0], m[1], m[2], m[3], m[4], m[5]);
	__atomic_store_n(&up.nic, n, __ATOMIC_RELEASE);
}
