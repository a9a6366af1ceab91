/* Hypercalls: the small ABI in hypercall.h. A bad call returns an error to the guest; it never
 * stops the VM or disturbs keel. */
#include "kernel/hypercall.h"
#include "kernel/exit.h"
#include "kernel/guest.h"
#include "kernel/log.h"

#define PRINT_MAX 4096

/* Log a guest buffer as lines prefixed with the VM's name. */
static s64 hc_print(struct vcpu *v, u64 la, u64 len)
{
	static char buf[PRINT_MAX]; /* the exit path allocates nothing; vCPUs of one CPU share */
	u32 pf;
	if (len > PRINT_MAX)
		return HC_EINVAL;
	if (vcpu_read_linear(v, la, buf, len, 0, &pf) != GVA_OK)
		return HC_EFAULT;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || buf[i] == '\n') {
			if (i > start || i < len)
				log_info("[%s] %.*s", v->vm->name, (int)(i - start), buf + start);
			start = i + 1;
		} else if ((u8)buf[i] < 0x20 || buf[i] == 0x7f) {
			buf[i] = '.';
		}
	}
	return (s64)len;
}

enum exit_action exit_hypercall(struct vcpu *v, struct vexit *e)
{
	u64 *r = v->regs.gpr;
	enum exit_action next = EXIT_RESUME;
	s64 ret;
	e->skip = true;
	if (vcpu_get(v, VREG_CPL) != 0) {
		r[RAX] = (u64)HC_EPERM;
		return EXIT_RESUME;
	}
	switch (r[RAX]) {
	case HC_VERSION: ret = KEEL_HC_ABI; break;
	case HC_PRINT: ret = hc_print(v, r[RBX], r[RCX]); break;
	case HC_EXIT: vm_stop(v->vm, VM_END_EXIT, r[RBX], "exit hypercall"); return EXIT_STOP;
	case HC_YIELD:
		ret = 0;
		next = EXIT_RESCHED;
		break;
	default: ret = HC_ENOSYS; break;
	}
	r[RAX] = (u64)ret;
	return next;
}
