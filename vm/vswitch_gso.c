/* Segmentation offload across keel's switches (vm/vswitch.h): a NIC whose driver hands keel
 * TCP segments larger than the MTU (virtio 1.2 5.1.6.2, VIRTIO_NET_F_HOST_TSO4/6) sends them
 * into the switch whole; a port that takes them whole gets them so, and any other port the MTU
 * sized segments they stand for, cut here: each with its own IP length (and for IPv4 its own
 * ID and header checksum, RFC 791 3.1), TCP sequence number and flags (RFC 9293 3.1; CWR only
 * on the first, RFC 3168 6.1.1; FIN and PSH only on the last) and a full TCP checksum over the
 * pseudo-header (RFC 9293 3.1, RFC 8200 8.1). keel never trusts the driver's hdr_len (5.1.6.2.2):
 * it reads the headers itself, and a frame they do not describe is refused. */
#include "vm/vswitch.h"
#include "lib/string.h"

#define ETH_HLEN    14
#define ETH_P_IPV4  0x0800
#define ETH_P_IPV6  0x86dd
#define IPPROTO_TCP 6
#define TCP_CSUM_AT 16 /* the checksum field's offset in a TCP header */
#define TCP_F_FIN   0x01
#define TCP_F_PSH   0x08
#define TCP_F_CWR   0x80

static u16 be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static void put16(u8 *p, u32 v)
{
	p[0] = (u8)(v >> 8);
	p[1] = (u8)v;
}

static u32 be32(const u8 *p)
{
	return (u32)be16(p) << 16 | be16(p + 2);
}

static void put32(u8 *p, u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* RFC 1071: the 16-bit one's complement sum of n bytes (an odd last byte padded with zero),
 * added to acc, not yet folded. */
static u64 sum16(const u8 *p, u32 n, u64 acc)
{
	for (u32 i = 0; i + 1 < n; i += 2)
		acc += be16(p + i);
	if (n & 1)
		acc += (u32)p[n - 1] << 8;
	return acc;
}

/* The complement of a folded sum: the checksum to store (RFC 1071). */
static u16 csum_of(u64 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

/* Where an IPv4 or IPv6 frame's TCP header starts, 0 if it is not a plain TCP packet of the
 * GSO type's IP version (an IPv4 fragment, IPv6 extension headers, another protocol). */
static u32 tcp_at(u8 gso_type, const u8 *f, u32 len)
{
	const u8 *ip = f + ETH_HLEN;
	if (len < ETH_HLEN + 40)
		return 0;
	if (gso_type == VSW_GSO_TCPV4) {
		u32 l4 = ETH_HLEN + (ip[0] & 15) * 4u;
		bool ok = be16(f + 12) == ETH_P_IPV4 && ip[0] >> 4 == 4 && l4 >= ETH_HLEN + 20 &&
			  ip[9] == IPPROTO_TCP && !(be16(ip + 6) & 0x3fff); /* no MF, offset 0 */
		return ok ? l4 : 0;
	}
	if (gso_type == VSW_GSO_TCPV6) {
		bool ok = be16(f + 12) == ETH_P_IPV6 && ip[0] >> 4 == 6 && ip[6] == IPPROTO_TCP;
		return ok ? ETH_HLEN + 40 : 0;
	}
	return 0;
}

bool vsw_gso_parse(struct vsw_meta *m, const u8 *f, u32 len)
{
	u32 l4 = tcp_at(m->gso_type, f, len);
	if (!l4 || l4 + 20 > len || !m->needs_csum || !m->gso_size)
		return false;
	u32 hdr = l4 + (f[l4 + 12] >> 4) * 4u;
	if (hdr < l4 + 20 || hdr >= len || hdr + m->gso_size > VSW_FRAME_MAX)
		return false; /* no payload, or a segment the MTU does not hold */
	if (m->csum_start != l4 || m->csum_offset != TCP_CSUM_AT)
		return false;
	m->hdr_len = (u16)hdr;
	return true;
}

/* Fix segment i's IP header for tcp_len bytes of TCP: the pseudo-header's sum for its TCP
 * checksum. */
static u64 fix_ip(const struct vsw_meta *m, u8 *out, u32 i, u32 tcp_len)
{
	u8 *ip = out + ETH_HLEN;
	u32 ihl = m->csum_start - ETH_HLEN;
	if (m->gso_type == VSW_GSO_TCPV4) {
		put16(ip + 2, ihl + tcp_len);	 /* total length */
		put16(ip + 4, be16(ip + 4) + i); /* identification: one per datagram */
		put16(ip + 10, 0);
		put16(ip + 10, csum_of(sum16(ip, ihl, 0)));
		return sum16(ip + 12, 8, 0) + IPPROTO_TCP + tcp_len;
	}
	put16(ip + 4, tcp_len); /* payload length: no extension headers */
	return sum16(ip + 8, 32, 0) + IPPROTO_TCP + tcp_len;
}

u32 vsw_gso_segment(const struct vsw_meta *m, const u8 *f, u32 len, u32 i, u8 *out)
{
	u32 hdr = m->hdr_len, pay = len - hdr, off = i * m->gso_size;
	if (i >= 0x10000 || off >= pay)
		return 0;
	u32 n = MIN((u32)m->gso_size, pay - off);
	memcpy(out, f, hdr);
	memcpy(out + hdr, f + hdr + off, n);
	u8 *tcp = out + m->csum_start;
	u32 tcp_len = hdr - m->csum_start + n;
	u64 pseudo = fix_ip(m, out, i, tcp_len);
	put32(tcp + 4, be32(tcp + 4) + off); /* sequence number of its first byte */
	if (i)
		tcp[13] &= (u8)~TCP_F_CWR;
	if (off + n < pay)
		tcp[13] &= (u8) ~(TCP_F_FIN | TCP_F_PSH);
	put16(tcp + TCP_CSUM_AT, 0);
	put16(tcp + TCP_CSUM_AT, csum_of(sum16(tcp, tcp_len, pseudo)));
	return hdr + n;
}
