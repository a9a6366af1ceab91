/* Device state records: the common header, written and checked once for every device, and the
 * guest-clock arithmetic that lets a record saved at one "now" load at another. */
#include "vm/vrecord.h"
#include "lib/string.h"
#include "vm/virq.h"

/* A record's clock may run at most this many times faster or slower than the loader's. */
#define CLOCK_RATIO_MAX 16

u64 vrec_write(void *buf, u64 len, u16 kind, u16 version, const void *payload, u32 size)
{
	struct vrec_header h = {VREC_MAGIC, kind, version, size, (u32)vclock_khz()};
	if (len < sizeof(h) + size)
		return 0;
	memcpy(buf, &h, sizeof(h));
	if (size && payload) /* no payload: none (size 0), or the caller writes it after */
		memcpy((u8 *)buf + sizeof(h), payload, size);
	return sizeof(h) + size;
}

void vrec_require(struct vrec_reader *r, bool ok, const char *why)
{
	if (!ok && !r->why)
		r->why = why;
}

/* The header's checks, in the order a reader wants to hear about them. */
static const char *header_why(const struct vrec_header *h, u64 len, u16 kind, u16 version, u32 size)
{
	u64 khz = vclock_khz();
	if (h->magic != VREC_MAGIC)
		return "not a device record";
	if (h->kind != kind)
		return "record of another device";
	if (h->version != version)
		return "unknown record version";
	if (h->size != size)
		return "wrong payload size";
	if (len != sizeof(*h) + size)
		return len < sizeof(*h) + size ? "truncated record" : "bytes after the record";
	if (!h->clock_khz || h->clock_khz > khz * CLOCK_RATIO_MAX ||
	    khz > (u64)h->clock_khz * CLOCK_RATIO_MAX)
		return "guest clock rate out of range";
	return NULL;
}

bool vrec_open(struct vrec_reader *r, const void *buf, u64 len, u16 kind, u16 version,
	       void *payload, u32 size, u64 now)
{
	struct vrec_header h;
	*r = (struct vrec_reader){.now = now};
	if (len < sizeof(h)) {
		r->why = "truncated record";
		return false;
	}
	memcpy(&h, buf, sizeof(h));
	r->why = header_why(&h, len, kind, version, size);
	if (r->why)
		return false;
	r->khz = h.clock_khz;
	if (size && payload)
		memcpy(payload, (const u8 *)buf + sizeof(h), size);
	return true;
}

u64 vrec_span(struct vrec_reader *r, u64 ticks)
{
	u64 khz = vclock_khz();
	if (r->khz == khz)
		return ticks;
	/* Rescaled, it must stay far from overflow (below 2^62) like every time in a record. */
	vrec_require(r, ticks / r->khz < (1ull << 62) / khz, "time out of range");
	return r->why ? 0 : ticks / r->khz * khz + ticks % r->khz * khz / r->khz;
}

/* rel on this clock: the distance rescaled, sign kept. */
static s64 rescale(struct vrec_reader *r, s64 rel)
{
	vrec_require(r, rel >= -VREC_TIME_MAX && rel <= VREC_TIME_MAX, "time out of range");
	if (rel < -VREC_TIME_MAX || rel > VREC_TIME_MAX)
		return 0;
	return rel < 0 ? -(s64)vrec_span(r, (u64)-rel) : (s64)vrec_span(r, (u64)rel);
}

u64 vrec_time(struct vrec_reader *r, s64 rel)
{
	return r->now + (u64)rescale(r, rel);
}

u64 vrec_deadline(struct vrec_reader *r, s64 rel)
{
	s64 d = rescale(r, rel);
	if (d < 0 && (u64)-d >= r->now)
		return 1; /* before the clock's zero: long due */
	u64 at = r->now + (u64)d;
	return at ? at : 1;
}

u64 vrec_len(const void *buf, u64 avail)
{
	struct vrec_header h;
	if (avail < sizeof(h))
		return avail;
	memcpy(&h, buf, sizeof(h));
	return MIN(sizeof(h) + (u64)h.size, avail);
}
