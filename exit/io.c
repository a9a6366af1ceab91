/* Port I/O exits: IN and OUT go to the device on the VM's I/O bus. A port with no device reads
 * as all ones and drops writes, as on a PC bus; the first access to each is logged at debug
 * level. String I/O (INS/OUTS, with REP) moves its data through the guest's page tables, to
 * or from RAM, a device, or nothing, in bounded batches per exit. */
#include "exit/exit.h"
#include "exit/access.h"
#include "kernel/log.h"
#include "kernel/x86.h"

static u64 size_mask(u8 size)
{
	return size == 4 ? 0xffffffffull : size == 2 ? 0xffff : 0xff;
}

static void note_unknown(struct vcpu *v, u16 port, bool in)
{
	u64 *bits = v->vm->unknown_ports;
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

/* The prefixes of the string I/O instruction at RIP: OUTS takes a segment override, which
 * neither backend reports without decode assists, and the address size is taken from the
 * bytes too (under QEMU's TCG the IOIO address-size bits did not say 16 for an a16 REP INS in
 * 32-bit code, which then counted with all of ECX). The backend's stands in if the fetch
 * fails. */
static struct insn_exit string_prefixes(struct vcpu *v, const struct vexit *e)
{
	u8 bytes[15];
	size_t n = vcpu_fetch_insn(v, bytes);
	struct insn_exit in;
	if (decode_exit_insn(bytes, n, vcpu_mode(v), &in) != DECODE_OK)
		in = (struct insn_exit){.addr_size = e->io.addr_size ? e->io.addr_size : 8};
	return in;
}

/* One INS or OUTS element at seg_base:rDI/rSI; false if it faulted (the fault is pending). An
 * INS into space with no RAM or device drops the data and completes, as a PC's bus does;
 * an OUTS from it sends all ones. */
static bool string_element(struct vcpu *v, const struct vexit *e, u64 seg_base, u8 as)
{
	u8 size = e->io.size;
	int reg = e->io.in ? RDI : RSI;
	u64 off = addr_mask(v->regs.gpr[reg], as), gpa;
	if (!string_gpa(v, seg_base, off, e->io.in, &gpa))
		return false;
	if (e->io.in)
		gpa_write(v, gpa, size, port_read(v, e->io.port, size));
	else
		port_write(v, e->io.port, size, gpa_read(v, gpa, size));
	bool down = vcpu_get(v, VREG_RFLAGS) & RFLAGS_DF;
	set_addr_reg(&v->regs.gpr[reg], as, down ? off - size : off + size);
	return true;
}

/* INS/OUTS: at most STRING_BATCH elements per exit; with REP the instruction is skipped only
 * once rCX reaches 0, else the guest resumes it (SDM vol. 2 "INS", "OUTS"; rCX, rSI, rDI are
 * updated per element). INS always writes ES:rDI; OUTS reads DS:rSI or the override. */
static enum exit_action string_io(struct vcpu *v, struct vexit *e)
{
	struct insn_exit in = string_prefixes(v, e);
	u8 as = in.addr_size;
	u64 seg = e->io.in ? vcpu_seg_base(v, 0x26) : vcpu_seg_base(v, in.seg);
	u64 count = e->io.rep ? addr_mask(v->regs.gpr[RCX], as) : 1;
	u64 done = 0;
	for (; done < count && done < STRING_BATCH && !v->vm->end; done++)
		if (!string_element(v, e, seg, as))
			break;
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
