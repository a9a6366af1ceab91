/* JSON (RFC 8259) requests for the management API: one line, parsed in place. */
#include "lib/json.h"
#include "lib/string.h"
#include "lib/codec.h"

/* A cursor over one line. */
struct jp {
	const char *p, *end;
	const char *err; /* the first error; later ones are not kept */
};

static bool fail(struct jp *j, const char *why)
{
	if (!j->err)
		j->err = why;
	return false;
}

/* RFC 8259 section 2: the four whitespace bytes. */
static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 8259 section 7: a string, its escapes checked (decoded later, by json_str). */
static bool string(struct jp *j)
{
	j->p++; /* the opening quote */
	while (j->p < j->end) {
		char c = *j->p++;
		if (c == '"')
			return true;
		if ((u8)c < 0x20)
			return fail(j, "control character in a string");
		if (c != '\\')
			continue;
		if (j->p == j->end)
			break;
		c = *j->p++;
		if (c == 'u') {
			for (int k = 0; k < 4; k++)
				if (j->p == j->end || !is_hex(*j->p++))
					return fail(j, "bad \\u escape in a string");
		} else if (!c || !strchr("\"\\/bfnrt", c)) {
			return fail(j, "bad escape in a string");
		}
	}
	return fail(j, "unterminated string");
}

static bool digits(struct jp *j)
{
	const char *s = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

/* RFC 8259 section 6: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number(struct jp *j)
{
	if (*j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!digits(j))
		return fail(j, "bad number");
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!digits(j))
			return fail(j, "bad number");
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!digits(j))
			return fail(j, "bad number");
	}
	return true;
}

static bool literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
		return fail(j, "unexpected character");
	j->p += n;
	return true;
}

static bool value(struct jp *j, u32 depth, struct json_val *v);

/* Members of an object or elements of an array up to its closing bracket; each member's key
 * and value go to member() when given (the request's top level and its arguments). */
static bool members(struct jp *j, u32 depth, bool obj,
		    bool (*member)(struct jp *j, void *ctx, const struct json_val *k,
				   const struct json_val *v),
		    void *ctx)
{
	char close = obj ? '}' : ']';
	j->p++; /* the opening bracket */
	ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return true;
	}
	for (;;) {
		struct json_val k = {0}, v;
		if (obj) {
			ws(j);
			if (j->p == j->end || *j->p != '"')
				return fail(j, "expected a string key");
			if (!value(j, depth, &k))
				return false;
			ws(j);
			if (j->p == j->end || *j->p++ != ':')
				return fail(j, "expected ':'");
		}
		if (!value(j, depth, &v) || (member && !member(j, ctx, &k, &v)))
			return false;
		ws(j);
		if (j->p == j->end)
			return fail(j, obj ? "unterminated object" : "unterminated array");
		char c = *j->p++;
		if (c == close)
			return true;
		if (c != ',')
			return fail(j, "expected ',' or a closing bracket");
	}
}

/* One value at nesting depth (the request's object is depth 1), its type and text into v. */
static bool value(struct jp *j, u32 depth, struct json_val *v)
{
	ws(j);
	*v = (struct json_val){.raw = j->p};
	if (j->p == j->end)
		return fail(j, "expected a value");
	char c = *j->p;
	bool ok;
	if (c == '{' || c == '[') {
		if (depth >= JSON_DEPTH_MAX)
			return fail(j, "nested too deep");
		v->type = c == '{' ? JSON_OBJ : JSON_ARR;
		ok = members(j, depth + 1, c == '{', NULL, NULL);
	} else if (c == '"') {
		v->type = JSON_STR;
		ok = string(j);
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		v->type = JSON_NUM;
		ok = number(j);
	} else if (c == 't' || c == 'f') {
		v->type = JSON_BOOL;
		ok = literal(j, c == 't' ? "true" : "false");
	} else if (c == 'n') {
		v->type = JSON_NULL;
		ok = literal(j, "null");
	} else {
		return fail(j, "unexpected character");
	}
	v->len = (u32)(j->p - v->raw);
	return ok;
}

/* The request's own members, kept until the whole line is known to be JSON. */
struct top {
	struct json_val execute, args;
	struct json_request *r;
	const char *bad; /* a member the request does not take */
};

static bool top_member(struct jp *j, void *ctx, const struct json_val *k, const struct json_val *v)
{
	struct top *t = ctx;
	char key[32];
	(void)j;
	if (!json_str(k, key, sizeof(key)))
		t->bad = "QMP input has an unexpected member";
	else if (!strcmp(key, "execute"))
		t->execute = *v;
	else if (!strcmp(key, "arguments"))
		t->args = *v;
	else if (!strcmp(key, "id"))
		t->r->id = *v;
	else
		t->bad = "QMP input has an unexpected member";
	return true;
}

/* One member of "arguments": a scalar under a short key, at most JSON_MEMBERS_MAX of them. */
static bool arg_member(struct jp *j, void *ctx, const struct json_val *k, const struct json_val *v)
{
	struct json_request *r = ctx;
	if (r->nargs == JSON_MEMBERS_MAX)
		return fail(j, "too many arguments");
	struct json_member *m = &r->args[r->nargs];
	if (!json_str(k, m->key, sizeof(m->key)))
		return fail(j, "an argument's name is too long or badly escaped");
	for (u32 i = 0; i < r->nargs; i++)
		if (!strcmp(r->args[i].key, m->key))
			return fail(j, "an argument is given twice");
	if (v->type == JSON_OBJ || v->type == JSON_ARR)
		return fail(j, "an argument's value must be a string, number, boolean or null");
	m->val = *v;
	r->nargs++;
	return true;
}

/* QMP's input (QEMU's QMP spec, section 2.3): {"execute": CMD, "arguments": {...}, "id": ...}. */
const char *json_parse_request(const char *line, u32 len, struct json_request *r)
{
	*r = (struct json_request){0};
	struct jp j = {.p = line, .end = line + len};
	struct top t = {.r = r};
	ws(&j);
	if (j.p == j.end)
		return "empty request";
	if (*j.p != '{') {
		struct json_val v;
		if (!value(&j, 0, &v))
			return j.err;
		ws(&j);
		return j.p == j.end ? "QMP input must be a JSON object" : "trailing characters";
	}
	if (!members(&j, 1, true, top_member, &t)) {
		r->id = (struct json_val){0};
		return j.err;
	}
	ws(&j);
	if (j.p != j.end) {
		r->id = (struct json_val){0};
		return "trailing characters";
	}
	if (t.bad)
		return t.bad;
	if (t.execute.type == JSON_NONE)
		return "QMP input lacks member 'execute'";
	if (!json_str(&t.execute, r->execute, sizeof(r->execute)))
		return "QMP input member 'execute' must be a short string";
	if (t.args.type == JSON_NONE)
		return NULL;
	if (t.args.type != JSON_OBJ)
		return "QMP input member 'arguments' must be an object";
	struct jp a = {.p = t.args.raw, .end = t.args.raw + t.args.len};
	if (!members(&a, 2, true, arg_member, r))
		return a.err;
	return NULL;
}

/* RFC 8259 section 7: the two-character escapes, and \u00XX for ASCII. */
bool json_str(const struct json_val *v, char *out, u32 cap)
{
	if (v->type != JSON_STR || v->len < 2 || !cap)
		return false;
	u32 n = 0;
	for (u32 i = 1; i + 1 < v->len; i++) {
		char c = v->raw[i];
		if (c == '\\') {
			if (i + 2 >= v->len)
				return false;
			char e = v->raw[++i];
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *p = strchr(from, e);
			if (e && p) {
				c = to[p - from];
			} else if (e == 'u' && i + 4 < v->len) {
				int x = 0;
				for (int k = 1; k <= 4; k++) {
					int h = hex_digit(v->raw[i + k]);
					if (h < 0)
						return false;
					x = x * 16 + h;
				}
				if (x == 0 || x >= 0x80)
					return false;
				c = (char)x;
				i += 4;
			} else {
				return false;
			}
		}
		if (n + 1 >= cap)
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	return true;
}

bool json_u64(const struct json_val *v, u64 *out)
{
	if (v->type != JSON_NUM || !v->len || v->len > 20)
		return false;
	u64 x = 0;
	for (u32 i = 0; i < v->len; i++) {
		char c = v->raw[i];
		if (c < '0' || c > '9' || x > (~0ull - (u64)(c - '0')) / 10)
			return false;
		x = x * 10 + (u64)(c - '0');
	}
	*out = x;
	return true;
}
