/* Snapshot files: writing records and checking a whole file (mgmt/snapfile.h). */
#include "mgmt/snapfile.h"
#include "lib/codec.h"
#include "lib/string.h"

#define PAGE	  4096
#define LOW_MAX	  (3ull << 30) /* mm/gmem.h: RAM below 4 GiB ends here at most */
#define HIGH_BASE (4ull << 30)
#define RAM_MAX	  (1ull << 40) /* loader/vmdef.h's largest VM */

bool snapfile_put(u8 *buf, u64 cap, u64 *at, u16 type, const void *payload, u32 n)
{
	if (cap - *at < sizeof(struct snapf_rec) + (u64)n)
		return false;
	struct snapf_rec r = {SNAPF_MAGIC, type, SNAPF_VERSION, n, crc32(0, payload, n)};
	memcpy(buf + *at, &r, sizeof(r));
	memcpy(buf + *at + sizeof(r), payload, n);
	*at += sizeof(r) + n;
	return true;
}

/* The record at *at: its header and payload, checked (magic, version, length, CRC). */
static const char *next(const u8 *buf, u64 len, u64 *at, struct snapf_rec *r, const u8 **p)
{
	if (len - *at < sizeof(*r))
		return "the file is truncated (a record's header is cut short)";
	memcpy(r, buf + *at, sizeof(*r));
	if (r->magic != SNAPF_MAGIC)
		return "not a keel snapshot (bad record magic)";
	if (r->version != SNAPF_VERSION)
		return "a record of a snapshot format version this keel does not read";
	if (len - *at - sizeof(*r) < r->len)
		return "the file is truncated (a record's payload is cut short)";
	*p = buf + *at + sizeof(*r);
	if (crc32(0, *p, r->len) != r->crc)
		return "a record's checksum does not match: the file is corrupted";
	*at += sizeof(*r) + r->len;
	return NULL;
}

/* A NUL-terminated name of printable bytes. */
static bool name_ok(const char *s, bool may_be_empty)
{
	u32 n = 0;
	while (n < SNAPF_NAME && s[n] > ' ' && s[n] <= '~')
		n++;
	return n < SNAPF_NAME && !s[n] && (n || may_be_empty);
}

const char *snapfile_check_header(const struct snapf_header *h)
{
	if (memcmp(h->format, "keelsnap", 8))
		return "not a keel snapshot (bad format name)";
	if (!h->nvcpus || h->nvcpus > 16)
		return "the snapshot's vCPU count is out of range";
	if (!h->ram || h->ram % PAGE || h->ram > RAM_MAX)
		return "the snapshot's RAM size is out of range";
	if (!name_ok(h->vm, false) || !name_ok(h->tag, false))
		return "the snapshot's VM name or tag is malformed";
	if (h->nnics > SNAPF_NICS || h->flags & ~(u32)(SNAPF_CONSOLE_VIRTIO | SNAPF_RNG))
		return "the snapshot names devices this keel does not have";
	for (u32 i = 0; i < h->nnics; i++)
		if (strnlen(h->sw[i], SNAPF_SWITCH) == SNAPF_SWITCH || !h->sw[i][0])
			return "the snapshot's switch name is malformed";
	return NULL;
}

/* A page's address is page-aligned RAM in the header's layout. */
static bool page_ok(const struct snapf_header *h, u64 gpa)
{
	u64 low = MIN(h->ram, LOW_MAX);
	// cppcheck-suppress knownConditionTrueFalse ; it misses the header memcpy-ed into v->h
	return !(gpa % PAGE) && (gpa < low || (gpa >= HIGH_BASE && gpa - HIGH_BASE < h->ram - low));
}

/* One record after the header, in its place in the order. */
static const char *take(struct snapf_view *v, const struct snapf_rec *r, const u8 *p, int *seen)
{
	switch (r->type) {
	case SNAPF_VCPUS:
	case SNAPF_DEVICES:
		if (*seen >= r->type)
			return "the snapshot's records are out of order";
		*seen = r->type;
		if (r->type == SNAPF_VCPUS) {
			v->vcpus = p;
			v->vcpus_len = r->len;
		} else {
			v->devs = p;
			v->devs_len = r->len;
		}
		return NULL;
	case SNAPF_PAGE: {
		u64 gpa;
		if (*seen != SNAPF_DEVICES || r->len != 8 + PAGE)
			return "a page record is out of order or the wrong size";
		memcpy(&gpa, p, 8);
		if (!page_ok(&v->h, gpa))
			return "a page record's address is outside the VM's RAM";
		v->pages++;
		return NULL;
	}
	default: return "a record of an unknown type";
	}
}

const char *snapfile_parse(const u8 *buf, u64 len, struct snapf_view *v)
{
	struct snapf_rec r;
	const u8 *p;
	u64 at = 0, records = 1;
	int seen = SNAPF_HEADER;
	*v = (struct snapf_view){0};
	const char *why = next(buf, len, &at, &r, &p);
	if (why)
		return why;
	if (r.type != SNAPF_HEADER || r.len != sizeof(v->h))
		return "not a keel snapshot (no header record first)";
	memcpy(&v->h, p, sizeof(v->h));
	if ((why = snapfile_check_header(&v->h)))
		return why;
	for (;; records++) {
		if ((why = next(buf, len, &at, &r, &p)))
			return why;
		if (r.type == SNAPF_END)
			break;
		if ((why = take(v, &r, p, &seen)))
			return why;
	}
	struct snapf_end e;
	if (seen != SNAPF_DEVICES || !v->vcpus)
		return "the snapshot lacks its vCPU or device records";
	if (r.len != sizeof(e))
		return "the end record is the wrong size";
	memcpy(&e, p, sizeof(e));
	if (e.records != records || e.pages != v->pages)
		return "the end record's counts do not match the file: records are missing";
	if (at != len)
		return "bytes after the end record";
	return NULL;
}

void snapfile_pages(const u8 *buf, u64 len, void (*fn)(void *ctx, u64 gpa, const u8 *data),
		    void *ctx)
{
	struct snapf_rec r;
	const u8 *p;
	u64 at = 0, gpa;
	while (!next(buf, len, &at, &r, &p) && r.type != SNAPF_END) {
		if (r.type == SNAPF_PAGE) {
			memcpy(&gpa, p, 8);
			fn(ctx, gpa, p + 8);
		}
	}
}
