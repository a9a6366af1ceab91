/* A tiny AML writer (ACPI 6.5 chapter 20) for the DSDT keel gives its guests (vacpi.c): names,
 * integers, packages, buffers, scopes and devices, each object with a length prefix that is
 * filled in when it is closed. Pure: it writes bytes into a buffer. */
#ifndef KEEL_AML_H
#define KEEL_AML_H

#include "lib/types.h"

struct aml {
	u8 *buf; /* NULL: nothing is written, len only counts (to size a table first) */
	u32 len, cap;
	bool full; /* something did not fit: the output is unusable */
};

/* Bytes as they are. */
void aml_bytes(struct aml *a, const void *p, u32 n);
/* A NameSeg (20.2.2): four characters, '_'-padded if shorter; a leading '\' is the root. */
void aml_nameseg(struct aml *a, const char *name);
/* An integer in the shortest form (20.2.3): Zero, One, Ones, or a Byte/Word/DWord/QWord. */
void aml_int(struct aml *a, u64 v);
/* EISAID("PNP0A03"): three letters and four hex digits packed into a DWord (6.1.5). */
u32 aml_eisaid(const char *id);
/* The start of an object with a PkgLength (20.2.4): open it after its opcode, close it after
 * its contents, which the closing moves up to make room for the length's bytes. */
u32 aml_open(struct aml *a);
void aml_close(struct aml *a, u32 at);
/* Name (name, ...) (20.2.5.1): the object follows. */
void aml_name(struct aml *a, const char *name);
/* Scope (name) { (20.2.5.1) and Device (name) { (20.2.5.2): close with aml_close. */
u32 aml_scope(struct aml *a, const char *name);
u32 aml_device(struct aml *a, const char *name);
/* Package (n) { (20.2.5.4): close with aml_close after its n elements. */
u32 aml_package(struct aml *a, u8 n);
/* Buffer (n) { bytes } (20.2.5.4), whole. */
void aml_buffer(struct aml *a, const void *p, u32 n);

#endif
