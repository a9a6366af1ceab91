/* JSON (RFC 8259) requests for the management API: one line, parsed in place. */
#include "lib/json.h"
#include "lib/string.h"

/* STUB (the API helper replaces it): every line is refused. */
const char *json_parse_request(const char *line, u32 len, struct json_request *r)
{
	(void)line;
	(void)len;
	*r = (struct json_request){0};
	return "not implemented";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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
					int h = hexval(v->raw[i + k]);
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
