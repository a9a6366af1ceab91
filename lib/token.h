/* Splitting "word key=value key=\"quoted value\"" strings: keel's command line and the VM
 * definitions in module strings share this tokenizer. */
#ifndef KEEL_TOKEN_H
#define KEEL_TOKEN_H

#include "lib/types.h"

struct token {
	const char *key;
	size_t klen;
	const char *val; /* NULL when the token has no '=' */
	size_t vlen;
	const char *text; /* the whole token as written, for messages */
	size_t tlen;
	bool bad; /* a quote that never closes, or text glued to a quoted value or key */
};

/* Next token from *p (advanced past it); false at the end. Values may be double-quoted
 * ("a b"), and the quotes are not part of val. */
bool token_next(const char **p, struct token *t);
/* key == s? */
bool token_is(const struct token *t, const char *s);
bool token_val_is(const struct token *t, const char *s);

#endif
