/* VM definitions: what a multiboot module's string says about the guest it carries
 * (README "VM definitions"):
 *
 *     IMAGE vm=NAME [mem=SIZE] [cpus=N] [weight=N] [cap=PERCENT] [pin=CPULIST]
 *           [on_reset=stop|restart] [start=yes|no] [gdb=wait|no]
 *           [cmdline="..."]                             a VM and its kernel image
 *     FILE  vm=NAME module                                an extra module for VM NAME
 *     FILE  vm=NAME initrd                                the initrd of Linux VM NAME
 *     FILE  vm=NAME disk [ro]                             the next virtio disk of VM NAME
 *
 * and on a VM's line: [net=SWITCH[,SWITCH...]] [mac=XX:XX:XX:XX:XX:XX]
 *                     [console=uart|virtio] [rng=yes|no]
 */
#ifndef KEEL_VMDEF_H
#define KEEL_VMDEF_H

#include "vm/vm.h"

#define VMDEF_MEM_DEFAULT (64 * MiB)
#define VMDEF_MEM_MIN	  (1 * MiB)
#define VMDEF_MEM_MAX	  (1024 * GiB)

enum vmdef_kind { VMDEF_VM, VMDEF_MODULE, VMDEF_INITRD, VMDEF_DISK };

struct vmdef {
	enum vmdef_kind kind;
	char image[128]; /* the module's path, as the loader gave it (may be empty) */
	char name[VM_NAME_MAX];
	u64 mem;
	u32 cpus;
	u32 weight; /* 0: the scheduler's default */
	u32 cap;    /* percent of one CPU, 0: none */
	u64 pin;    /* CPU mask, 0: any */
	bool on_reset_restart;
	bool no_start; /* start=no: created, but runs only once vm-start starts it */
	bool gdb_wait; /* gdb=wait: held before its first instruction until gdb attaches */
	bool has_cmdline;
	char cmdline[VM_CMDLINE_MAX];
	bool ro;			     /* a disk: read-only */
	u32 nnics;			     /* net=: one NIC per switch */
	char sw[VM_NICS_MAX][VM_SWITCH_MAX]; /* their switches' names */
	bool has_mac;			     /* mac=: the first NIC's address */
	u8 mac[6];
	bool virtio_console; /* console=virtio */
	bool no_rng;	     /* rng=no */
	char error[192];     /* why the definition is refused; empty if it is valid */
};

/* Parse a module string; false (with d->error set) if it is not a valid definition. */
bool vmdef_parse(const char *str, struct vmdef *d);
/* A CPU list as pin= takes it, n bytes of s ("0,2-3": bits 0, 2 and 3): false if malformed. */
bool vmdef_cpulist(const char *s, size_t n, u64 *mask);

#endif
