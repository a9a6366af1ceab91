/* keel's command-line parser and the tokenizer under it. */
#include "tests/unit/fakes.h"
#include "kernel/cmdline.h"
#include "lib/token.h"

#include <string.h>

static struct keel_config parse(const char *s)
{
	struct keel_config c;
	config_defaults(&c);
	log_reset();
	cmdline_parse(s, &c);
	return c;
}

static void test_defaults(void **state)
{
	(void)state;
	struct keel_config c = parse("");
	assert_int_equal(c.console_port, 0x3f8);
	assert_int_equal(c.console_baud, 115200);
	assert_int_equal(c.loglevel, 6);
	assert_int_equal(c.shutdown, SHUTDOWN_AUTO);
	assert_int_equal(c.errors, 0);
	c = parse("/boot/keel.elf");
	assert_int_equal(c.errors, 0); /* the image path the loader puts first is skipped */
}

static void test_console(void **state)
{
	(void)state;
	struct keel_config c = parse("keel.elf console=ttyS1,9600");
	assert_int_equal(c.console_port, 0x2f8);
	assert_int_equal(c.console_baud, 9600);
	c = parse("console=0x3e8");
	assert_int_equal(c.console_port, 0x3e8);
	assert_int_equal(c.console_baud, 115200);
	c = parse("console=none");
	assert_int_equal(c.console_port, 0);
	assert_int_equal(c.errors, 0);
}

/* uplink=SWITCH and host=NAME: names as switches take them; anything else keeps the default. */
static void test_uplink_host(void **state)
{
	(void)state;
	struct keel_config c = parse("uplink=lan host=rack-1.a");
	assert_string_equal(c.uplink, "lan");
	assert_string_equal(c.host, "rack-1.a");
	assert_int_equal(c.errors, 0);
	c = parse("uplink=0123456789abcdef host=a/b uplink= host=");
	assert_string_equal(c.uplink, "");
	assert_string_equal(c.host, "");
	assert_int_equal(c.errors, 4);
}

static void test_api(void **state)
{
	(void)state;
	assert_int_equal(parse("").api_port, 0x2f8);
	assert_int_equal(parse("api=ttyS3").api_port, 0x2e8);
	assert_int_equal(parse("api=0x3e8").api_port, 0x3e8);
	assert_int_equal(parse("api=off").api_port, 0);
	struct keel_config c = parse("api=ttyS4");
	assert_int_equal(c.errors, 1);
	assert_int_equal(c.api_port, 0x2f8);
	assert_int_equal(parse("api=on").errors, 1);
}

static void test_gdb(void **state)
{
	(void)state;
	assert_int_equal(parse("").gdb_port, 0); /* off by default */
	assert_int_equal(parse("gdb=ttyS2").gdb_port, 0x3e8);
	assert_int_equal(parse("gdb=ttyS3").gdb_port, 0x2e8);
	assert_int_equal(parse("gdb=0x2e8").gdb_port, 0x2e8);
	assert_int_equal(parse("gdb=off").gdb_port, 0);
	struct keel_config c = parse("gdb=ttyS2 gdb=ttyS9");
	assert_int_equal(c.errors, 1);
	assert_int_equal(c.gdb_port, 0x3e8);
	assert_int_equal(parse("gdb=wait").errors, 1);
	assert_false(parse("gdb=ttyS2").gdb_xon); /* gdb_flow=none by default */
	assert_true(parse("gdb=ttyS2 gdb_flow=xon").gdb_xon);
	assert_false(parse("gdb_flow=xon gdb_flow=none").gdb_xon);
	assert_int_equal(parse("gdb_flow=yes").errors, 1);
}

static void test_bad_values_keep_defaults(void **state)
{
	(void)state;
	const char *bad[] = {"console=ttyS9",
			     "console=ttyS0,0",
			     "console=ttyS0,7",
			     "console=0x",
			     "console=0xzz",
			     "console=",
			     "console",
			     "loglevel=8",
			     "loglevel=loud",
			     "loglevel=-1",
			     "exit=never",
			     "console=ttyS0,115200,8n1",
			     "loglevel=99999999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct keel_config c = parse(bad[i]);
		assert_int_equal(c.errors, 1);
		assert_int_equal(c.console_port, 0x3f8);
		assert_int_equal(c.console_baud, 115200);
		assert_int_equal(c.loglevel, 6);
		assert_true(log_contains("cmdline: bad value"));
	}
}

static void test_unknown_options(void **state)
{
	(void)state;
	struct keel_config c = parse("keel.elf frobnicate=1 loglevel=debug noacpi");
	assert_int_equal(c.errors, 2);
	assert_int_equal(c.loglevel, 7);
	assert_true(log_contains("unknown option 'frobnicate=1'"));
	assert_true(log_contains("unknown option 'noacpi'"));
}

static void test_levels_and_exit(void **state)
{
	(void)state;
	assert_int_equal(parse("loglevel=3").loglevel, 3);
	assert_int_equal(parse("loglevel=warn").loglevel, 4);
	assert_int_equal(parse("exit=bochs").shutdown, SHUTDOWN_BOCHS);
	assert_int_equal(parse("exit=halt").shutdown, SHUTDOWN_HALT);
	assert_int_equal(parse("shutdown=reset").shutdown, SHUTDOWN_RESET);
}

static void test_tokens(void **state)
{
	(void)state;
	const char *p = "  img  vm=a cmdline=\"console=ttyS0 quiet\" flag  bad=\"open";
	struct token t;
	assert_true(token_next(&p, &t));
	assert_true(token_is(&t, "img"));
	assert_null(t.val);
	assert_true(token_next(&p, &t));
	assert_true(token_is(&t, "vm") && token_val_is(&t, "a"));
	assert_true(token_next(&p, &t));
	assert_true(token_is(&t, "cmdline"));
	assert_int_equal(t.vlen, strlen("console=ttyS0 quiet"));
	assert_memory_equal(t.val, "console=ttyS0 quiet", t.vlen);
	assert_false(t.bad);
	assert_true(token_next(&p, &t));
	assert_true(token_is(&t, "flag"));
	assert_true(token_next(&p, &t));
	assert_true(t.bad);
	assert_false(token_next(&p, &t));
}

static void test_quote_garbage(void **state)
{
	(void)state;
	struct keel_config c = parse("loglevel=\"7\"x");
	assert_int_equal(c.errors, 1);
	c = parse("loglevel=\"7\"");
	assert_int_equal(c.errors, 0);
	assert_int_equal(c.loglevel, 7);
}

/* incoming= and migrate_key=: a bad key leaves none, never a part of one. */
static void test_migrate_opts(void **state)
{
	(void)state;
	struct keel_config c = parse("incoming=yes migrate_key=00112233445566778899aabbccddeeff");
	assert_true(c.incoming);
	assert_int_equal(c.migrate_keylen, 16);
	assert_int_equal(c.migrate_key[0], 0x00);
	assert_int_equal(c.migrate_key[15], 0xff);
	assert_int_equal(c.errors, 0);
	c = parse("incoming=maybe migrate_key=00112233445566778899aabbccddeeXX");
	assert_false(c.incoming);
	assert_int_equal(c.migrate_keylen, 0);
	assert_int_equal(c.errors, 2);
	c = parse("migrate_key=0011 incoming=no");
	assert_int_equal(c.migrate_keylen, 0);
	c = parse("migrate_key=00112233445566778899aabbccddeeff migrate_key=123");
	assert_int_equal(c.migrate_keylen, 0); /* the last one counts, and it was bad */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_console),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_gdb),
		cmocka_unit_test(test_bad_values_keep_defaults),
		cmocka_unit_test(test_unknown_options),
		cmocka_unit_test(test_levels_and_exit),
		cmocka_unit_test(test_uplink_host),
		cmocka_unit_test(test_migrate_opts),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_quote_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
