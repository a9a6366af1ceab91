/* JSON (RFC 8259) for the management API: the writer here; the request parser in
 * lib/json_parse.c. */
#include "lib/json.h"
#include "lib/fmt.h"
#include "lib/string.h"

void jw_init(struct jw *w, char *buf, u32 cap)
{
	*w = (struct jw){.buf = buf, .cap = cap};
	w->first[0] = true;
	if (cap)
		buf[0] = '\0';
}

static void put(struct jw *w, const char *s, u32 n)
{
	if (w->overflow || w->len + n + 1 > w->cap) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* Before any value: a comma unless it is the first at its depth or a key's value. */
static void sep(struct jw *w)
{
	if (w->after_key)
		w->after_key = false;
	else if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = false;
}

static void open(struct jw *w, char c)
{
	sep(w);
	put(w, &c, 1);
	if (w->depth == JSON_DEPTH_MAX) {
		w->overflow = true;
		return;
	}
	w->first[++w->depth] = true;
}

static void close(struct jw *w, char c)
{
	if (w->depth)
		w->depth--;
	put(w, &c, 1);
}

void jw_obj_begin(struct jw *w)
{
	open(w, '{');
}

void jw_obj_end(struct jw *w)
{
	close(w, '}');
}

void jw_arr_begin(struct jw *w)
{
	open(w, '[');
}

void jw_arr_end(struct jw *w)
{
	close(w, ']');
}

/* A string's characters, escaped as RFC 8259 section 7 asks (control characters as \u00XX). */
static void put_escaped(struct jw *w, const char *s, u32 n)
{
	put(w, "\"", 1);
	for (u32 i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[8];
		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			put(w, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			put(w, e, (u32)fmt_snprintf(e, sizeof(e), "\\u%04x", c));
		} else {
			put(w, (const char *)&c, 1);
		}
	}
	put(w, "\"", 1);
}

void jw_key(struct jw *w, const char *k)
{
	sep(w);
	put_escaped(w, k, (u32)strlen(k));
	put(w, ":", 1);
	w->after_key = true;
}

void jw_strn(struct jw *w, const char *s, u32 n)
{
	sep(w);
	put_escaped(w, s, n);
}

void jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s, (u32)strlen(s));
}

void jw_u64(struct jw *w, u64 v)
{
	char b[24];
	sep(w);
	put(w, b, (u32)fmt_snprintf(b, sizeof(b), "%llu", v));
}

void jw_s64(struct jw *w, s64 v)
{
	char b[24];
	sep(w);
	put(w, b, (u32)fmt_snprintf(b, sizeof(b), "%lld", v));
}

void jw_bool(struct jw *w, bool v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w)
{
	sep(w);
	put(w, "null", 4);
}

void jw_raw(struct jw *w, const char *s, u32 n)
{
	sep(w);
	put(w, s, n);
}

void jw_kstr(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	jw_str(w, s);
}

void jw_ku64(struct jw *w, const char *k, u64 v)
{
	jw_key(w, k);
	jw_u64(w, v);
}

void jw_kbool(struct jw *w, const char *k, bool v)
{
	jw_key(w, k);
	jw_bool(w, v);
}
