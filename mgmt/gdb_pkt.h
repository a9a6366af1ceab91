/* gdb's remote serial protocol, its packet layer (gdb manual, appendix "GDB Remote Serial
 * Protocol", "Overview"): framing, checksums, acknowledgments, escapes and hex. Pure C,
 * host-tested (tests/unit/test_gdb_pkt.c); the commands are mgmt/gdb.c's. */
#ifndef KEEL_GDB_PKT_H
#define KEEL_GDB_PKT_H

#include "lib/types.h"

/* The most payload bytes gdb may send in one packet (qSupported's PacketSize): a 'G' of every
 * register (1216 hex digits) and an 'M' or 'X' of 2 KiB fit. */
#define GDB_PKT_MAX 4096

/* What a byte from gdb completed. */
enum gdb_in {
	GDB_IN_NONE,	  /* nothing yet */
	GDB_IN_PACKET,	  /* a packet with a good checksum: rx.buf, rx.len */
	GDB_IN_BAD,	  /* a packet with a bad checksum: reply '-' and drop it */
	GDB_IN_TOO_LONG,  /* a packet over GDB_PKT_MAX: acknowledged and refused (E reply) */
	GDB_IN_ACK,	  /* '+' */
	GDB_IN_NAK,	  /* '-': send the last packet again */
	GDB_IN_INTERRUPT, /* 0x03 between packets: Ctrl-C */
};

struct gdb_rx {
	enum { GDB_RX_IDLE, GDB_RX_DATA, GDB_RX_ESC, GDB_RX_SUM1, GDB_RX_SUM2 } st;
	char buf[GDB_PKT_MAX + 1]; /* the payload, unescaped, NUL after it */
	u32 len;
	u8 sum, got; /* the checksum computed, and the one received */
	bool too_long;
};

/* Take one byte from gdb. */
enum gdb_in gdb_rx_byte(struct gdb_rx *r, u8 c);

/* Frame payload p (n bytes) as "$...#xx" into out (cap bytes), escaping '$', '#', '}' and
 * '*' (so that nothing reads as run-length encoding, which keel never sends). Its length, or 0
 * if it does not fit. */
u32 gdb_frame(char *out, u32 cap, const void *p, u32 n);

/* n bytes as 2n lower-case hex digits (no NUL). */
void gdb_hex_put(char *out, const void *in, u32 n);
/* 2n hex digits into n bytes: false if one is not a hex digit. */
bool gdb_hex_get(void *out, const char *in, u32 n);
/* A hex number of 1 to 16 digits at *p, stopping before end or the first non-digit; *p moves
 * past it. False if there is none or it is longer. */
bool gdb_hex_u64(const char **p, const char *end, u64 *val);

#endif
