/* What mgmt/gdb.c (the connection, attach, stops, resumes, monitor) and mgmt/gdb_cmd.c (the
 * packets that read and write a stopped VM) share: the one session, and its reply. */
#ifndef KEEL_GDB_INT_H
#define KEEL_GDB_INT_H

#include "exit/debug.h"
#include "mgmt/gdb_pkt.h"
#include "vm/cpustate.h"

struct gdb_session {
	struct vm *vm; /* the VM gdb debugs: attached (vm->debug) when attached is set */
	bool attached;
	bool stopped; /* stopped for gdb and settled: its state is gdb's to read and write */
	u32 g_vcpu;   /* Hg: the vCPU registers and memory are read through */
	s32 c_vcpu;   /* Hc: the vCPU 's' steps (-1: the one that stopped) */
	bool phys;    /* monitor phys on: m/M/X by guest-physical address */
	char reply[GDB_PKT_MAX]; /* the reply being built */
	u32 rlen;
	u8 xrec[XREC_SIZE]; /* a vCPU's extended state, read for gdb */
};
extern struct gdb_session gdb;

/* Append to the reply: text, bytes as hex, "ENN". */
void gdb_put(const char *s);
void gdb_put_hex(const void *b, u32 n);
void gdb_put_err(u8 n);

/* The packets of a stopped VM (registers, memory, breakpoints, threads, target.xml), p being
 * the whole packet of n bytes: false if p is none of them. */
bool gdb_cmd(const char *p, u32 n);

#endif
