/* keel's own command line: options and their defaults (README "Command line"). */
#ifndef KEEL_CMDLINE_H
#define KEEL_CMDLINE_H

#include "lib/types.h"

enum shutdown_method {
	SHUTDOWN_AUTO,
	SHUTDOWN_QEMU,
	SHUTDOWN_BOCHS,
	SHUTDOWN_ACPI,
	SHUTDOWN_RESET,
	SHUTDOWN_HALT
};

/* selftest=: make keel fault on purpose once it is up, to check its protections and its
 * exception report on a given machine (kernel/selftest.c). */
enum selftest {
	SELFTEST_NONE,
	SELFTEST_NULL,
	SELFTEST_STACK,
	SELFTEST_WRITE_TEXT,
	SELFTEST_EXEC_DATA,
	SELFTEST_PANIC
};

struct keel_config {
	u16 console_port; /* 0: no console */
	u32 console_baud;
	u16 api_port; /* the management API's UART (README "Management API"); 0: off */
	u16 gdb_port; /* gdb's stub's UART (README "Debugging a guest"); 0: off */
	bool api_xon; /* api_flow=xon: an XON byte out for each batch of bytes taken in */
	bool gdb_xon; /* gdb_flow=xon: an XON byte out for every 4 bytes gdb's stub took in */
	int loglevel;
	enum shutdown_method shutdown;
	enum selftest selftest;
	u32 vcpurec;	    /* vcpurec=: a vCPU record round trip every this many turns (0: none) */
	char uplink[16];    /* uplink=SWITCH: the switch bound to the first host NIC ("": none) */
	char host[32];	    /* host=NAME: how peers know this keel ("": unnamed) */
	bool incoming;	    /* incoming=yes: accept migrations, and run on with no VM */
	u8 migrate_key[64]; /* migrate_key=HEX: the key of the link between keels */
	u32 migrate_keylen; /* its bytes (16-64), 0: none */
	int errors;	    /* options rejected */
};

extern struct keel_config keel_cfg; /* the running keel's settings */

void config_defaults(struct keel_config *c);
/* Parse cmdline into c. A first word with no '=' that contains '/' or '.' is the image's path
 * (QEMU and GRUB's multiboot v1 put it there) and is skipped. Unknown or malformed options are
 * logged and leave the default in place. */
void cmdline_parse(const char *cmdline, struct keel_config *c);

#endif
