/* A switch's uplink (README "Networks"): uplink=SWITCH makes the first host NIC one more port
 * of that switch. Frames the switch sends that port (broadcast, unknown, or for addresses
 * learned behind it) leave through the NIC; frames the NIC receives enter the switch. The NIC
 * is polled from CPU 0's scheduler loop (between time slices, and every UPLINK_POLL_US while
 * it idles): keel's host drivers take no interrupts. */
#ifndef KEEL_UPLINK_H
#define KEEL_UPLINK_H

#include "lib/types.h"

#define UPLINK_POLL_US 2000 /* CPU 0 idles at most this long with an uplink */
#define UPLINK_BATCH   64   /* frames taken from the NIC per poll */

/* A tap on the host NIC for one EtherType of keel's own (mgmt/miglink.c's link between keels):
 * such frames go to frame() and never into the switch. frame() runs with the NIC's lock held
 * and must not send; poll() runs right after each poll, without it, and may send. */
struct uplink_tap {
	u16 ethertype;
	void (*frame)(const u8 *f, u32 len);
	void (*poll)(void);
	u64 (*poll_again)(void); /* us until poll wants to run again, 0: whenever */
};

/* Register the tap (one), and take the first host NIC if no switch did, polling it for the tap
 * alone: false (logged) if there is no host NIC. Called after uplink_start. */
bool uplink_tap(const struct uplink_tap *t);
/* Send one whole Ethernet frame from the NIC: false if the transmit ring was full. */
bool uplink_send_raw(const void *frame, u32 len);
/* The NIC's MAC address (6 bytes), NULL without a NIC. */
const u8 *uplink_mac(void);

/* After the VMs are made: log host (if named); bind switch sw (if named) to the first host
 * NIC. A switch no VM uses, or no NIC, is logged and leaves keel without an uplink. */
void uplink_start(const char *sw, const char *host);
/* CPU 0: frames in from the NIC, and any left for it. */
void uplink_poll(void);
/* CPU 0 idling: us until uplink_poll wants to run again, 0 with no uplink. */
u64 uplink_poll_again(void);

#endif
