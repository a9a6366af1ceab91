/* JSON for keel's management API (README "Management API"): a writer that builds one reply or
 * event in a caller's buffer, and a parser for one request line. Both are pure C (the host unit
 * tests drive them) and allocate nothing. */
#ifndef KEEL_JSON_H
#define KEEL_JSON_H

#include "lib/types.h"

#define JSON_DEPTH_MAX 8

/* A writer: values go into buf (never past cap, always NUL-terminated); commas and nesting are
 * kept here, so callers only say what comes next. A value that does not fit sets overflow and
 * the rest is dropped: the caller replies with an error instead. */
struct jw {
	char *buf;
	u32 cap, len;
	bool overflow;
	u32 depth;
	bool first[JSON_DEPTH_MAX + 1]; /* no value yet at this depth: no comma before the next */
	bool after_key;			/* a key was written: its value needs no comma */
};

void jw_init(struct jw *w, char *buf, u32 cap);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
/* An object's key; the next call writes its value. */
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, u32 n);
void jw_u64(struct jw *w, u64 v);
void jw_s64(struct jw *w, s64 v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* Already-encoded JSON text, written as one value (a request's "id", echoed back). */
void jw_raw(struct jw *w, const char *s, u32 n);
/* Shorthands for a key and its value. */
void jw_kstr(struct jw *w, const char *k, const char *s);
void jw_ku64(struct jw *w, const char *k, u64 v);
void jw_kbool(struct jw *w, const char *k, bool v);

/* A value in a parsed request: its type and where its text lies in the line (a string's text
 * is between the quotes, still escaped; use json_str to decode it). */
enum json_type { JSON_NONE, JSON_STR, JSON_NUM, JSON_BOOL, JSON_NULL, JSON_OBJ, JSON_ARR };
struct json_val {
	enum json_type type;
	const char *raw; /* the value's text as written (a string: with its quotes) */
	u32 len;
};

/* One member of a flat object. */
#define JSON_MEMBERS_MAX 16
struct json_member {
	char key[32];
	struct json_val val;
};

/* A request line: {"execute": CMD, "arguments": {...}, "id": ANY} (README "Management API").
 * args holds the members of "arguments" (values are strings, numbers, booleans or null; an
 * object or array inside arguments is refused). */
struct json_request {
	char execute[48];
	struct json_val id; /* type JSON_NONE when absent */
	u32 nargs;
	struct json_member args[JSON_MEMBERS_MAX];
};

/* Parse one line into r: NULL, or why it is not a valid request (for the error's "desc").
 * When the line is valid JSON but not a valid request, r->id is still filled if present, so
 * the error reply can carry it. */
const char *json_parse_request(const char *line, u32 len, struct json_request *r);
/* Decode a string value's text (escapes, \uXXXX below 0x80 only) into out (cap bytes with the
 * NUL): false if it is not a string, has an escape keel does not take, or does not fit. */
bool json_str(const struct json_val *v, char *out, u32 cap);
/* A number value as an unsigned integer (no sign, fraction or exponent): false if not. */
bool json_u64(const struct json_val *v, u64 *out);

#endif
