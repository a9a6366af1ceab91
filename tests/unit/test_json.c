/* The management API's request parser (lib/json_parse.c) with good and hostile lines. */
#include "tests/unit/fakes.h"
#include "lib/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *parse(const char *s, struct json_request *r)
{
	return json_parse_request(s, (u32)strlen(s), r);
}

static void test_good(void **state)
{
	(void)state;
	struct json_request r;
	assert_null(parse("{\"execute\": \"qmp_capabilities\"}", &r));
	assert_string_equal(r.execute, "qmp_capabilities");
	assert_int_equal(r.id.type, JSON_NONE);
	assert_int_equal(r.nargs, 0);

	assert_null(parse(" {\"id\": {\"a\": [1, 2.5e-3, null]}, \"execute\":\"query-vms\","
			  "\"arguments\": {\"vm\": \"a\\tb\", \"n\": 42, \"f\": false}}\r\n",
			  &r));
	assert_string_equal(r.execute, "query-vms");
	assert_int_equal(r.id.type, JSON_OBJ);
	assert_int_equal(r.id.len, strlen("{\"a\": [1, 2.5e-3, null]}"));
	assert_memory_equal(r.id.raw, "{\"a\": [1, 2.5e-3, null]}", r.id.len);
	assert_int_equal(r.nargs, 3);
	assert_string_equal(r.args[0].key, "vm");
	char s[8];
	assert_true(json_str(&r.args[0].val, s, sizeof(s)));
	assert_string_equal(s, "a\tb");
	u64 n;
	assert_true(json_u64(&r.args[1].val, &n));
	assert_int_equal(n, 42);
	assert_int_equal(r.args[2].val.type, JSON_BOOL);

	assert_null(parse("{\"execute\":\"x\",\"id\":\"q\\u0041\\\"\"}", &r));
	assert_int_equal(r.id.type, JSON_STR);
	assert_memory_equal(r.id.raw, "\"q\\u0041\\\"\"", r.id.len);
	assert_null(parse("{\"execute\":\"x\",\"arguments\":{},\"id\":-0}", &r));
	assert_int_equal(r.id.type, JSON_NUM);
}

static void test_hostile(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"   ",
		"{",
		"}",
		"[]",
		"\"execute\"",
		"{\"execute\": \"x\"} x",
		"{\"execute\": \"x\"}}",
		"{\"execute\": \"x\",}",
		"{\"execute\" \"x\"}",
		"{\"execute\": \"x}",
		"{\"execute\": \"x\\q\"}",
		"{\"execute\": \"x\\u12\"}",
		"{\"execute\": \"x\\u12G4\"}",
		"{\"execute\": \"a\tb\"}",
		"{\"execute\": 'x'}",
		"{execute: \"x\"}",
		"{\"execute\": \"x\", \"id\": 01}",
		"{\"execute\": \"x\", \"id\": 1.}",
		"{\"execute\": \"x\", \"id\": -}",
		"{\"execute\": \"x\", \"id\": 1e}",
		"{\"execute\": \"x\", \"id\": tru}",
		"{\"execute\": \"x\", \"id\": nul}",
		"{\"execute\": \"x\", \"id\": [1,]}",
		"{\"execute\": \"x\", \"id\": [[[[[[[[1]]]]]]]]}",
		"{\"execute\": \"x\", \"id\": 1",
		"{\"execute\": 5}",
		"{\"id\": 5}",
		"{\"execute\": \"x\", \"bogus\": 1}",
		"{\"execute\": \"x\", \"arguments\": 1}",
		"{\"execute\": \"x\", \"arguments\": {\"a\": {}}}",
		"{\"execute\": \"x\", \"arguments\": {\"a\": [1]}}",
		"{\"execute\": \"x\", \"arguments\": {\"a\": 1, \"a\": 2}}",
		"{\"execute\": \"x\", \"arguments\": {\"0123456789abcdef0123456789abcdef\": 1}}",
		"{\"execute\": \"0123456789abcdef0123456789abcdef0123456789abcdef\"}",
		"{\"execute\": \"x\"}\0",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_request r;
		const char *why = json_parse_request(
			bad[i], (u32)strlen(bad[i]) + (i + 1 == sizeof(bad) / sizeof(bad[0])), &r);
		if (!why)
			fail_msg("accepted: %s", bad[i]);
	}
}

/* Seven levels of nesting inside the request (eight in all) are taken; one more is not. */
static void test_depth(void **state)
{
	(void)state;
	struct json_request r;
	assert_null(parse("{\"execute\":\"x\",\"id\":[[[[[[[1]]]]]]]}", &r));
	assert_non_null(parse("{\"execute\":\"x\",\"id\":[[[[[[[[1]]]]]]]]}", &r));
}

/* JSON_MEMBERS_MAX arguments are taken, one more is refused. */
static void test_members(void **state)
{
	(void)state;
	char line[1024];
	int n = snprintf(line, sizeof(line), "{\"execute\":\"x\",\"arguments\":{");
	for (int i = 0; i < JSON_MEMBERS_MAX; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s\"k%d\":%d", i ? "," : "", i,
			      i);
	snprintf(line + n, sizeof(line) - (size_t)n, "}}");
	struct json_request r;
	assert_null(parse(line, &r));
	assert_int_equal(r.nargs, JSON_MEMBERS_MAX);
	snprintf(line + n, sizeof(line) - (size_t)n, ",\"z\":1}}");
	assert_non_null(parse(line, &r));
}

/* A valid JSON line that is not a valid request still gives its id for the error reply; a
 * line that is not JSON gives none. */
static void test_id_on_error(void **state)
{
	(void)state;
	struct json_request r;
	assert_non_null(parse("{\"execute\": 1, \"id\": \"abc\"}", &r));
	assert_int_equal(r.id.type, JSON_STR);
	assert_non_null(parse("{\"id\": \"abc\", \"execute\": }", &r));
	assert_int_equal(r.id.type, JSON_NONE);
}

/* Every prefix of a good line is refused (each is unterminated), under ASan. */
static void test_prefixes(void **state)
{
	(void)state;
	const char *good = "{\"execute\":\"a\",\"arguments\":{\"s\":\"\\u0041\\n\",\"n\":-1.5E+3,"
			   "\"t\":true,\"z\":null},\"id\":[{\"k\":[]}]}";
	struct json_request r;
	assert_null(parse(good, &r));
	for (u32 n = 0; n < strlen(good); n++) {
		char *copy = malloc(n ? n : 1);
		memcpy(copy, good, n);
		assert_non_null(json_parse_request(copy, n, &r));
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),	    cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_depth),	    cmocka_unit_test(test_members),
		cmocka_unit_test(test_id_on_error), cmocka_unit_test(test_prefixes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
