/* gdb's packet layer (mgmt/gdb_pkt.h). Remote Protocol appendix, "Overview": a packet is
 * '$' data '#' and two hex digits of the sum of data's bytes modulo 256; the receiver answers
 * '+' or '-' (until QStartNoAckMode); 0x7d escapes the next byte, XORed with 0x20; 0x03
 * outside a packet is an interrupt ("Interrupts"). */
#include "mgmt/gdb_pkt.h"
#include "lib/codec.h"

void gdb_hex_put(char *out, const void *in, u32 n)
{
	static const char digits[] = "0123456789abcdef";
	const u8 *b = in;
	for (u32 i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
}

bool gdb_hex_get(void *out, const char *in, u32 n)
{
	u8 *b = out;
	for (u32 i = 0; i < n; i++) {
		int hi = hex_digit(in[2 * i]), lo = hex_digit(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		b[i] = (u8)(hi << 4 | lo);
	}
	return true;
}

bool gdb_hex_u64(const char **p, const char *end, u64 *val)
{
	const char *s = *p;
	u64 v = 0;
	u32 n = 0;
	for (; s < end && hex_digit(*s) >= 0; s++, n++)
		v = v << 4 | (u64)hex_digit(*s);
	if (!n || n > 16)
		return false;
	*p = s;
	*val = v;
	return true;
}

/* A payload byte (unescaped): kept while there is room, else the packet is too long. */
static void keep(struct gdb_rx *r, u8 c)
{
	if (r->len < GDB_PKT_MAX)
		r->buf[r->len++] = (char)c;
	else
		r->too_long = true;
}

/* Between packets: '$' starts one; '+', '-' and 0x03 stand alone; anything else is noise
 * (a byte of a packet whose start was lost) and ignored. */
static enum gdb_in idle_byte(struct gdb_rx *r, u8 c)
{
	switch (c) {
	case '$':
		r->st = GDB_RX_DATA;
		r->len = 0;
		r->sum = 0;
		r->too_long = false;
		return GDB_IN_NONE;
	case '+': return GDB_IN_ACK;
	case '-': return GDB_IN_NAK;
	case 0x03: return GDB_IN_INTERRUPT;
	default: return GDB_IN_NONE;
	}
}

/* The second checksum digit: the packet is complete. */
static enum gdb_in packet_end(struct gdb_rx *r)
{
	r->st = GDB_RX_IDLE;
	r->buf[r->len] = '\0';
	if (r->got != r->sum)
		return GDB_IN_BAD;
	return r->too_long ? GDB_IN_TOO_LONG : GDB_IN_PACKET;
}

enum gdb_in gdb_rx_byte(struct gdb_rx *r, u8 c)
{
	int h;
	switch (r->st) {
	case GDB_RX_IDLE: return idle_byte(r, c);
	case GDB_RX_DATA:
		if (c == '#') {
			r->st = GDB_RX_SUM1;
			return GDB_IN_NONE;
		}
		if (c == '$') /* a new start: the previous packet was cut short */
			return idle_byte(r, c);
		r->sum = (u8)(r->sum + c);
		if (c == 0x7d)
			r->st = GDB_RX_ESC;
		else
			keep(r, c);
		return GDB_IN_NONE;
	case GDB_RX_ESC:
		r->sum = (u8)(r->sum + c);
		r->st = GDB_RX_DATA;
		keep(r, c ^ 0x20);
		return GDB_IN_NONE;
	case GDB_RX_SUM1:
		h = hex_digit((char)c);
		r->got = (u8)((h < 0 ? 0 : h) << 4);
		r->st = h < 0 ? GDB_RX_IDLE : GDB_RX_SUM2;
		return h < 0 ? GDB_IN_BAD : GDB_IN_NONE;
	case GDB_RX_SUM2:
		h = hex_digit((char)c);
		if (h < 0) {
			r->st = GDB_RX_IDLE;
			return GDB_IN_BAD;
		}
		r->got = (u8)(r->got | h);
		return packet_end(r);
	}
	r->st = GDB_RX_IDLE;
	return GDB_IN_NONE;
}

u32 gdb_frame(char *out, u32 cap, const void *p, u32 n)
{
	const u8 *b = p;
	u32 o = 0;
	u8 sum = 0;
	if (cap < 4)
		return 0;
	out[o++] = '$';
	for (u32 i = 0; i < n; i++) {
		bool esc = b[i] == '$' || b[i] == '#' || b[i] == 0x7d || b[i] == '*';
		if (o + (esc ? 2 : 1) + 3 > cap)
			return 0;
		if (esc) {
			out[o++] = 0x7d;
			sum = (u8)(sum + 0x7d);
		}
		u8 c = esc ? (u8)(b[i] ^ 0x20) : b[i];
		out[o++] = (char)c;
		sum = (u8)(sum + c);
	}
	out[o++] = '#';
	gdb_hex_put(out + o, &sum, 1);
	return o + 2;
}
