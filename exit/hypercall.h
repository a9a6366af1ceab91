/* keel's hypercall ABI (README "Hypercalls"): VMMCALL on AMD, VMCALL on Intel, from CPL 0.
 * RAX holds the call number, RBX, RCX, RDX and RSI the arguments; RAX gets the result. */
#ifndef KEEL_HYPERCALL_H
#define KEEL_HYPERCALL_H

enum {
	HC_VERSION = 0, /* returns KEEL_HC_ABI */
	HC_PRINT = 1,	/* RBX: guest linear address, RCX: length (at most 4096): log the bytes */
	HC_EXIT = 2,	/* RBX: status: the VM ends with it */
	HC_YIELD = 3,	/* let other vCPUs run */
};
#define KEEL_HC_ABI 1

/* Errors, returned in RAX as negative numbers. */
#define HC_ENOSYS (-1ll) /* no such call */
#define HC_EFAULT (-2ll) /* a buffer the guest cannot read */
#define HC_EPERM  (-3ll) /* called from CPL > 0 */
#define HC_EINVAL (-4ll) /* a bad argument */

#endif
