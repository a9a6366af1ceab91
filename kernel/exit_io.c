/* Port I/O exits: IN and OUT go to the device on the VM's I/O bus. A port with no device reads
 * as all ones and drops writes, as on a PC bus; the first access to each is logged at debug
 * level. String I/O (INS/OUTS, with REP) moves its data through the guest's page tables. */
#include "kernel/exit.h"
#include "kernel/guest.h"
#include "kernel/log.h"
#include "kernel/x86.h"

static u64 size_mask(u8 size)
{
	return size == 4 ? 0xffffffffull : size == 2 ? 0xffff : 0xff;
}

static void note_unknown(struct vcpu *v, u16 port, bool in)
{
	u64 *bits = v->vm->dev.unknown_logged;
	if (bits[port / 64] & BIT(port % 64))
		return;
	bits[port / 64] |= BIT(port % 64);
	log_debug("vm %s: %s of port %#x, which has no device", v->vm->name, in ? "read" : "write",
		  port);
}

static u64 port_read(struct vcpu *v, u16 port, u8 size)
{
	const struct bus_range *r = bus_find(&v->vm->io, port);
	if (!r) {
		note_unknown(v, port, true);
		return size_mask(size);
	}
	return bus_read(v, r, port, size) & size_mask(size);
}

static void port_write(struct vcpu *v, u16 port, u8 size, u64 val)
{
	const struct bus_range *r = bus_find(&v->vm->io, port);
	if (!r) {
		note_unknown(v, port, false);
		return;
	}
	bus_write(v, r, port, size, val & size_mask(size));
}

/* Put a value of `size` bytes into rAX as IN does: 8 and 16 bits merge, 32 bits zero-extend. */
static void set_rax(struct vcpu *v, u8 size, u64 val)
{
	u64 *rax = &v->regs.gpr[RAX];
	*rax = size == 4 ? (u32)val : (*rax & ~size_mask(size)) | val;
}

/* INS/OUTS: up to one page of elements per exit; the rest resumes the instruction (REP). */
static enum exit_action string_io(struct vcpu *v, struct vexit *e)
{
	u8 size = e->io.size, as = e->io.addr_size;
	bool down = vcpu_get(v, VREG_RFLAGS) & RFLAGS_DF;
	int sreg = e->io.in ? RDI : RSI;
	u64 count = e->io.rep ? addr_mask(v->regs.gpr[RCX], as) : 1;
	u64 seg = e->io.in ? vcpu_get(v, VREG_ES_BASE) : vcpu_get(v, VREG_DS_BASE);
	u64 done = 0;
	for (; done < count && done < PAGE_SIZE / size; done++) {
		u64 off = addr_mask(v->regs.gpr[sreg], as);
		u64 la = seg + off, gpa;
		u32 pf;
		struct guest_paging p = vcpu_paging(v);
		unsigned acc =
			(e->io.in ? GVA_WRITE : 0) | (vcpu_get(v, VREG_CPL) == 3 ? GVA_USER : 0);
		int r = gva_translate(&p, la, acc, &gpa, &pf);
		if (r == GVA_PAGE_FAULT) {
			vcpu_set(v, VREG_CR2, la);
			v->event = (struct vevent){true, 14, EVENT_EXCEPTION, true, pf};
			break;
		}
		u64 val = 0;
		if (r != GVA_OK) {
			vcpu_inject_gp(v, 0);
			break;
		}
		if (e->io.in) {
			val = port_read(v, e->io.port, size);
			if (!gmem_write(&v->vm->mem, gpa, &val, size))
				break; /* not RAM: the data goes nowhere, as on a bus */
		} else {
			if (!gmem_read(&v->vm->mem, gpa, &val, size))
				val = size_mask(size);
			port_write(v, e->io.port, size, val);
		}
		set_addr_reg(&v->regs.gpr[sreg], as, down ? off - size : off + size);
	}
	if (e->io.rep) {
		u64 left = addr_mask(v->regs.gpr[RCX], as) - done;
		set_addr_reg(&v->regs.gpr[RCX], as, left);
		e->skip = left == 0 && !v->event.pending;
	} else {
		e->skip = done == 1;
	}
	return v->vm->end ? EXIT_STOP : EXIT_RESUME;
}

enum exit_action exit_io(struct vcpu *v, struct vexit *e)
{
	if (e->io.string)
		return string_io(v, e);
	if (e->io.in)
		set_rax(v, e->io.size, port_read(v, e->io.port, e->io.size));
	else
		port_write(v, e->io.port, e->io.size, v->regs.gpr[RAX]);
	e->skip = true;
	return v->vm->end ? EXIT_STOP : EXIT_RESUME;
}
