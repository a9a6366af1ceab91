/* Hypercalls: the small ABI in hypercall.h. A bad call returns an error to the guest; it never
 * stops the VM or disturbs keel. */
#include "exit/hypercall.h"
#include "exit/exit.h"
#include "exit/access.h"
#include "vm/guestout.h"
#include "kernel/log.h"

#define PRINT_MAX   4096
#define PRINT_CHUNK 256

/* Log a guest buffer as "[NAME]" lines (vm/guestout.c). Its two ends are read first so
 * that a bad buffer logs nothing (4096 bytes span at most two pages); then it is read a chunk
 * at a time into this call's own stack, so two CPUs printing at once never share a byte. */
static s64 hc_print(struct vcpu *v, u64 la, u64 len)
{
	u8 chunk[PRINT_CHUNK];
	struct guest_line line = {0};
	u32 pf;
	if (len > PRINT_MAX)
		return HC_EINVAL;
	if (len && (vcpu_read_linear(v, la, chunk, 1, 0, &pf) != GVA_OK ||
		    vcpu_read_linear(v, la + len - 1, chunk, 1, 0, &pf) != GVA_OK))
		return HC_EFAULT;
	for (u64 off = 0; off < len; off += PRINT_CHUNK) {
		size_t n = (size_t)MIN(len - off, PRINT_CHUNK);
		if (vcpu_read_linear(v, la + off, chunk, n, 0, &pf) != GVA_OK)
			break; /* its page tables changed under us: log what was read */
		guest_line_put(&line, v->vm->name, chunk, n);
	}
	guest_line_flush(&line, v->vm->name);
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
