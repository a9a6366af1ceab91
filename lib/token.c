/* The tokenizer (pure C, host-tested). */
#include "lib/token.h"
#include "lib/string.h"

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool token_next(const char **p, struct token *t)
{
	const char *s = *p;
	while (space(*s))
		s++;
	if (!*s) {
		*p = s;
		return false;
	}
	*t = (struct token){.key = s, .text = s};
	while (*s && !space(*s) && *s != '=' && *s != '"')
		s++;
	t->klen = (size_t)(s - t->key);
	if (*s == '=') {
		s++;
		if (*s == '"') {
			t->val = ++s;
			while (*s && *s != '"')
				s++;
			t->vlen = (size_t)(s - t->val);
			if (*s == '"')
				s++;
			else
				t->bad = true;
		} else {
			t->val = s;
			while (*s && !space(*s))
				s++;
			t->vlen = (size_t)(s - t->val);
		}
	}
	/* Anything glued on after the token (a stray quote, text after a closing quote) makes
	 * it malformed; it stays in the token's text for the caller's message. */
	while (*s && !space(*s)) {
		t->bad = true;
		s++;
	}
	t->tlen = (size_t)(s - t->text);
	*p = s;
	return true;
}

bool token_is(const struct token *t, const char *s)
{
	return strlen(s) == t->klen && !memcmp(t->key, s, t->klen);
}

bool token_val_is(const struct token *t, const char *s)
{
	return t->val && strlen(s) == t->vlen && !memcmp(t->val, s, t->vlen);
}
