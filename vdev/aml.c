/* AML bytes (ACPI 6.5 chapter 20), written front to back; a PkgLength is inserted when its
 * object closes, so objects nest to any depth without knowing their sizes beforehand. */
#include "vdev/aml.h"
#include "lib/string.h"

enum {
	AML_ZERO = 0x00,
	AML_ONE = 0x01,
	AML_NAME = 0x08,
	AML_BYTE = 0x0a,
	AML_WORD = 0x0b,
	AML_DWORD = 0x0c,
	AML_QWORD = 0x0e,
	AML_SCOPE = 0x10,
	AML_BUFFER = 0x11,
	AML_PACKAGE = 0x12,
	AML_EXT = 0x5b,
	AML_DEVICE = 0x82, /* after AML_EXT */
	AML_ONES = 0xff,
};

/* Room for n more bytes in the buffer: false when only measuring (the length grows) or when
 * they do not fit (the writer is then full for good). */
static bool room(struct aml *a, u32 n)
{
	if (!a->buf) {
		a->len += n;
		return false;
	}
	if (a->full || a->cap - a->len < n) {
		a->full = true;
		return false;
	}
	return true;
}

void aml_bytes(struct aml *a, const void *p, u32 n)
{
	if (!room(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

/* One byte. */
static void byte(struct aml *a, u8 b)
{
	aml_bytes(a, &b, 1);
}

void aml_nameseg(struct aml *a, const char *name)
{
	if (*name == '\\')
		byte(a, *name++); /* RootChar */
	for (int i = 0; i < 4; i++)
		byte(a, *name ? (u8)*name++ : '_');
}

void aml_int(struct aml *a, u64 v)
{
	u8 prefix = v <= 0xff	       ? AML_BYTE
		    : v <= 0xffff      ? AML_WORD
		    : v <= 0xffffffffu ? AML_DWORD
				       : AML_QWORD;
	u32 n = prefix == AML_BYTE ? 1 : prefix == AML_WORD ? 2 : prefix == AML_DWORD ? 4 : 8;
	if (v == 0 || v == 1 || v == ~0ull) {
		byte(a, v == 0 ? AML_ZERO : v == 1 ? AML_ONE : AML_ONES);
		return;
	}
	byte(a, prefix);
	aml_bytes(a, &v, n); /* little-endian */
}

/* The compressed EISA ID (6.1.5): letters as 5-bit codes ('A' is 1), big-endian in the
 * first two bytes, then the product number's two bytes as written. */
u32 aml_eisaid(const char *id)
{
	u32 hex = 0;
	for (int i = 3; i < 7; i++)
		hex = hex << 4 | (u32)(id[i] <= '9' ? id[i] - '0' : (id[i] | 0x20) - 'a' + 10);
	u32 v = (u32)(id[0] - 0x40) << 26 | (u32)(id[1] - 0x40) << 21 | (u32)(id[2] - 0x40) << 16 |
		hex;
	return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

u32 aml_open(struct aml *a)
{
	return a->len;
}

/* PkgLength (20.2.4): the length counts its own bytes. One byte holds up to 63; longer ones
 * take 1-3 more bytes, the first byte's bits 7:6 saying how many and 3:0 the low nibble. */
void aml_close(struct aml *a, u32 at)
{
	u32 body = a->len - at, n = 1;
	while (n < 4 && body + n >= (n == 1 ? 64u : 1u << (4 + 8 * (n - 1))))
		n++;
	u32 total = body + n;
	u8 pl[4] = {(u8)total};
	if (n > 1) {
		pl[0] = (u8)((n - 1) << 6 | (total & 0xf));
		for (u32 i = 1; i < n; i++)
			pl[i] = (u8)(total >> (4 + 8 * (i - 1)));
	}
	if (!room(a, n))
		return;
	memmove(a->buf + at + n, a->buf + at, body);
	memcpy(a->buf + at, pl, n);
	a->len += n;
}

void aml_name(struct aml *a, const char *name)
{
	byte(a, AML_NAME);
	aml_nameseg(a, name);
}

u32 aml_scope(struct aml *a, const char *name)
{
	byte(a, AML_SCOPE);
	u32 at = aml_open(a);
	aml_nameseg(a, name);
	return at;
}

u32 aml_device(struct aml *a, const char *name)
{
	byte(a, AML_EXT);
	byte(a, AML_DEVICE);
	u32 at = aml_open(a);
	aml_nameseg(a, name);
	return at;
}

u32 aml_package(struct aml *a, u8 n)
{
	byte(a, AML_PACKAGE);
	u32 at = aml_open(a);
	byte(a, n); /* NumElements */
	return at;
}

void aml_buffer(struct aml *a, const void *p, u32 n)
{
	byte(a, AML_BUFFER);
	u32 at = aml_open(a);
	aml_int(a, n); /* BufferSize */
	aml_bytes(a, p, n);
	aml_close(a, at);
}
