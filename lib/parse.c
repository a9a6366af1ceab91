/* Small string helpers shared by the command-line and VM-definition parsers (pure C). */
#include "lib/string.h"

size_t strlcpy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);
	if (n) {
		size_t c = len < n - 1 ? len : n - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return len;
}

bool parse_u64(const char *s, size_t len, u64 *out)
{
	unsigned base = 10;
	size_t i = 0;
	u64 v = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return false;
	for (; i < len; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

bool parse_size(const char *s, size_t len, u64 *out)
{
	u64 mult = 1;
	if (len > 1) {
		switch (s[len - 1]) {
		case 'k':
		case 'K': mult = KiB; break;
		case 'm':
		case 'M': mult = MiB; break;
		case 'g':
		case 'G': mult = GiB; break;
		}
		if (mult != 1)
			len--;
	}
	u64 v;
	if (!parse_u64(s, len, &v) || v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}
