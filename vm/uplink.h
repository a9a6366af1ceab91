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

/* After the VMs are made: log host (if named); bind switch sw (if named) to the first host
 * NIC. A switch no VM uses, or no NIC, is logged and leaves keel without an uplink. */
void uplink_start(const char *sw, const char *host);
/* CPU 0: frames in from the NIC, and any left for it. */
void uplink_poll(void);
/* CPU 0 idling: us until uplink_poll wants to run again, 0 with no uplink. */
u64 uplink_poll_again(void);

#endif
