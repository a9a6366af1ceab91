/* VM definitions in module strings: every key, the defaults, and each way a definition is
 * refused, with d->error naming the problem. */
#include "tests/unit/fakes.h"
#include "loader/vmdef.h"

#include <stdio.h>
#include <string.h>

static struct vmdef d;

/* Parse s, which must be valid. */
static void ok(const char *s)
{
	bool r = vmdef_parse(s, &d);
	if (!r)
		fail_msg("'%s' refused: %s", s, d.error);
	assert_string_equal(d.error, "");
}

/* Parse s, which must be refused with an error containing why. */
static void refused(const char *s, const char *why)
{
	bool r = vmdef_parse(s, &d);
	if (r)
		fail_msg("'%s' accepted", s);
	if (!strstr(d.error, why))
		fail_msg("'%s': error '%s' does not say '%s'", s, d.error, why);
}

static void test_defaults(void **state)
{
	(void)state;
	ok("guest.elf vm=a");
	assert_int_equal(d.kind, VMDEF_VM);
	assert_string_equal(d.image, "guest.elf");
	assert_string_equal(d.name, "a");
	assert_int_equal(d.mem, 64 * MiB);
	assert_int_equal(d.mem, VMDEF_MEM_DEFAULT);
	assert_int_equal(d.cpus, 1);
	assert_false(d.has_cmdline);
	assert_string_equal(d.cmdline, "");
}

static void test_every_key(void **state)
{
	(void)state;
	ok("/boot/guest.elf vm=web-1 mem=128M cpus=4 cmdline=\"console=ttyS0 quiet\"");
	assert_int_equal(d.kind, VMDEF_VM);
	assert_string_equal(d.image, "/boot/guest.elf");
	assert_string_equal(d.name, "web-1");
	assert_int_equal(d.mem, 128 * MiB);
	assert_int_equal(d.cpus, 4);
	assert_true(d.has_cmdline);
	assert_string_equal(d.cmdline, "console=ttyS0 quiet");
}

static void test_key_order_and_whitespace(void **state)
{
	(void)state;
	ok("  guest.elf\tcmdline=\"a  b\tc\"\ncpus=2  mem=32M\r\nvm=x  ");
	assert_string_equal(d.image, "guest.elf");
	assert_string_equal(d.name, "x");
	assert_int_equal(d.mem, 32 * MiB);
	assert_int_equal(d.cpus, 2);
	assert_string_equal(d.cmdline, "a  b\tc"); /* spaces inside quotes are kept as written */
	/* A key given twice: the last one counts. */
	ok("g vm=a vm=b mem=2M mem=4M cpus=3 cpus=5");
	assert_string_equal(d.name, "b");
	assert_int_equal(d.mem, 4 * MiB);
	assert_int_equal(d.cpus, 5);
}

static void test_module(void **state)
{
	(void)state;
	ok("initrd.img vm=a module");
	assert_int_equal(d.kind, VMDEF_MODULE);
	assert_string_equal(d.image, "initrd.img");
	assert_string_equal(d.name, "a");
	ok("initrd.img module vm=b");
	assert_int_equal(d.kind, VMDEF_MODULE);
	assert_string_equal(d.name, "b");
	refused("initrd.img module", "no vm=NAME");
	refused("initrd.img vm=a module=1", "unknown key 'module'");
}

static void test_cmdline(void **state)
{
	(void)state;
	ok("g vm=a cmdline=quiet");
	assert_true(d.has_cmdline);
	assert_string_equal(d.cmdline, "quiet");
	ok("g vm=a cmdline=\"\"");
	assert_true(d.has_cmdline); /* given, and empty */
	assert_string_equal(d.cmdline, "");
	ok("g vm=a cmdline=");
	assert_true(d.has_cmdline);
	assert_string_equal(d.cmdline, "");
	ok("g vm=a cmdline=\"root=/dev/vda vm=b mem=1M\" cpus=2");
	assert_string_equal(d.cmdline, "root=/dev/vda vm=b mem=1M"); /* not parsed as keys */
	assert_string_equal(d.name, "a");
	assert_int_equal(d.mem, 64 * MiB);
	assert_int_equal(d.cpus, 2);
}

static void test_cmdline_length(void **state)
{
	(void)state;
	static char s[2048], val[1100];
	/* 1023 bytes fit in the 1024-byte buffer with its NUL. */
	memset(val, 'x', 1023);
	val[1023] = '\0';
	snprintf(s, sizeof(s), "g vm=a cmdline=\"%s\"", val);
	ok(s);
	assert_int_equal(strlen(d.cmdline), 1023);
	assert_string_equal(d.cmdline, val);
	/* 1024 do not. */
	memset(val, 'x', 1024);
	val[1024] = '\0';
	snprintf(s, sizeof(s), "g vm=a cmdline=\"%s\"", val);
	refused(s, "cmdline longer than 1023 bytes");
	snprintf(s, sizeof(s), "g vm=a cmdline=%s", val);
	refused(s, "cmdline longer than 1023 bytes");
}

static void test_sizes(void **state)
{
	(void)state;
	static const struct {
		const char *mem;
		u64 bytes;
	} sizes[] = {
		{"1M", MiB},
		{"1m", MiB},
		{"1024K", MiB},
		{"4096k", 4 * MiB},
		{"64M", 64 * MiB},
		{"1G", GiB},
		{"3g", 3 * GiB},
		{"1024G", 1024 * GiB},
		{"1048576", MiB},
		{"0x100000", MiB},
		{"0X4000000", 64 * MiB},
		{"0x10M", 16 * MiB},
		{"0xfff000", 0xfff000},
		{"1028K", 1028 * KiB}, /* a whole number of pages, not of MiB */
	};
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char s[64];
		snprintf(s, sizeof(s), "g vm=a mem=%s", sizes[i].mem);
		ok(s);
		assert_int_equal(d.mem, sizes[i].bytes);
	}
}

static void test_bad_mem(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"0",
		"0M",
		"1020K",
		"1048575",
		"1023K",
		"1025G",
		"1T",
		"2049K",
		"1048577",
		"0x100001",
		"",
		"M",
		"64MB",
		"64 M",
		"-64M",
		"sixty",
		"0x",
		"0xM",
		"64MM",
		"1.5G",
		"99999999999999999999G",
		"17179869184G",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char s[64];
		snprintf(s, sizeof(s), "g vm=a mem=%s", bad[i]);
		if (strchr(bad[i], ' ')) /* quoted, so the space stays in the value */
			snprintf(s, sizeof(s), "g vm=a mem=\"%s\"", bad[i]);
		refused(s, "bad mem");
		char want[64];
		snprintf(want, sizeof(want), "bad mem '%s'", bad[i]);
		refused(s, want);
		assert_non_null(strstr(d.error, "1M to 1024G"));
	}
}

/* start=no: created, started by vm-start; only on a VM's own line. The CPU list vm-set's pin=
 * takes is the definition's. */
static void test_start(void **state)
{
	(void)state;
	ok("g vm=a");
	assert_false(d.no_start);
	ok("g vm=a start=no");
	assert_true(d.no_start);
	ok("g vm=a start=yes");
	assert_false(d.no_start);
	assert_false(vmdef_parse("g vm=a start=later", &d));
	assert_false(vmdef_parse("f vm=a module start=no", &d));
	/* gdb=wait: held for gdb; only on a VM's own line */
	ok("g vm=a");
	assert_false(d.gdb_wait);
	ok("g vm=a gdb=wait");
	assert_true(d.gdb_wait);
	ok("g vm=a gdb=no");
	assert_false(d.gdb_wait);
	assert_false(vmdef_parse("g vm=a gdb=later", &d));
	assert_false(vmdef_parse("f vm=a module gdb=wait", &d));
	u64 m = 0;
	assert_true(vmdef_cpulist("0,2-3", 5, &m));
	assert_int_equal(m, 0xd);
	assert_false(vmdef_cpulist("3-1", 3, &m));
}

static void test_cpus(void **state)
{
	(void)state;
	for (u32 n = 1; n <= VM_MAX_VCPUS; n++) {
		char s[64];
		snprintf(s, sizeof(s), "g vm=a cpus=%u", n);
		ok(s);
		assert_int_equal(d.cpus, n);
	}
	ok("g vm=a cpus=0x10");
	assert_int_equal(d.cpus, 16);
	ok("g vm=a cpus=08");
	assert_int_equal(d.cpus, 8);
	static const char *const bad[] = {
		"0",  "17", "0x11", "",		  "two",
		"1K", "-1", "2x",   "4294967297", "99999999999999999999",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char s[64], want[64];
		snprintf(s, sizeof(s), "g vm=a cpus=%s", bad[i]);
		snprintf(want, sizeof(want), "bad cpus '%s' (1 to 16)", bad[i]);
		refused(s, want);
	}
}

static void test_names(void **state)
{
	(void)state;
	static const char *const good[] = {"a",	    "A",    "0",
					   "web-1", "db_2", "v1.2",
					   "-",	    "_.-",  "abcdefghijklmnopqrstuvwxyz01234"};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		char s[64];
		snprintf(s, sizeof(s), "g vm=%s", good[i]);
		ok(s);
		assert_string_equal(d.name, good[i]);
	}
	assert_int_equal(strlen(good[ARRAY_SIZE(good) - 1]), VM_NAME_MAX - 1);
	static const char *const bad[] = {
		"",
		"abcdefghijklmnopqrstuvwxyz012345", /* 32: one too many */
		"a/b",
		"a:b",
		"caf\xc3\xa9",
		"a,b",
		"a\"b",
		"a=b",
		"a*",
		"@",
		"a+b",
		"a$",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char s[96], want[96];
		snprintf(s, sizeof(s), "g vm=%s", bad[i]);
		snprintf(want, sizeof(want), "bad VM name '%s'", bad[i]);
		refused(s, want);
		assert_non_null(strstr(d.error, "1-31 letters"));
	}
	refused("g vm=\"a b\"", "bad VM name 'a b'");
	refused("g vm=\"\"", "bad VM name ''");
	/* A 100-character name is refused, and the message still fits. */
	char s[160];
	snprintf(s, sizeof(s), "g vm=%0100d", 7);
	refused(s, "bad VM name '000");
	assert_true(strlen(d.error) < sizeof(d.error));
}

static void test_no_image(void **state)
{
	(void)state;
	/* A handwritten GRUB module2 line may start with the settings: no image name then. */
	ok("vm=a");
	assert_string_equal(d.image, "");
	assert_string_equal(d.name, "a");
	assert_int_equal(d.kind, VMDEF_VM);
	ok("  vm=a mem=32M cpus=2 cmdline=\"x y\"");
	assert_string_equal(d.image, "");
	assert_int_equal(d.mem, 32 * MiB);
	assert_int_equal(d.cpus, 2);
	assert_string_equal(d.cmdline, "x y");
	/* "module" first is the flag, not an image called module. */
	ok("module vm=a");
	assert_string_equal(d.image, "");
	assert_int_equal(d.kind, VMDEF_MODULE);
	/* A bare word after the settings is an unknown flag, not a late image name. */
	refused("vm=a guest.elf", "unknown flag 'guest.elf'");
	/* Nothing at all, or only blanks: no VM named. */
	refused("", "no vm=NAME");
	refused("   \t ", "no vm=NAME");
	assert_string_equal(d.image, "");
	/* A first token that is not a plain word is parsed as a setting, and refused as one. */
	refused("=x vm=a", "unknown key ''");
	refused("\"guest.elf\" vm=a", "malformed '\"guest.elf\"'");
	refused("guest\"x vm=a", "malformed 'guest\"x'");
	refused("cmdline=\"open vm=a", "malformed 'cmdline=\"open vm=a'");
}

static void test_image_length(void **state)
{
	(void)state;
	char s[300], img[200];
	memset(img, 'i', 127);
	img[127] = '\0';
	snprintf(s, sizeof(s), "%s vm=a", img);
	ok(s);
	assert_string_equal(d.image, img);
	memset(img, 'i', 128);
	img[128] = '\0';
	snprintf(s, sizeof(s), "%s vm=a", img);
	refused(s, "image name longer than 127 bytes");
}

static void test_no_vm(void **state)
{
	(void)state;
	refused("guest.elf", "no vm=NAME");
	refused("guest.elf mem=64M cpus=2 cmdline=\"quiet\"", "no vm=NAME");
}

static void test_unknown_key_and_flag(void **state)
{
	(void)state;
	refused("g vm=a frob=1", "unknown key 'frob'");
	refused("g vm=a VM=b", "unknown key 'VM'"); /* keys are case-sensitive */
	refused("g vm=a memory=64M", "unknown key 'memory'");
	refused("g vm=a =5", "unknown key ''");
	refused("g vm=a quiet", "unknown flag 'quiet'");
	refused("g vm=a Module", "unknown flag 'Module'");
	refused("g vm=a vm", "unknown flag 'vm'");
	refused("g vm=a mem", "unknown flag 'mem'");
	refused("g vm=a cmdline", "unknown flag 'cmdline'");
	/* The first problem is the one reported. */
	refused("g frob=1 vm=a quiet", "unknown key 'frob'");
	refused("g cpus=0 mem=0", "bad cpus '0'");
}

static void test_malformed_quotes(void **state)
{
	(void)state;
	refused("g vm=a cmdline=\"console=ttyS0 quiet", "malformed");
	assert_non_null(strstr(d.error, "unclosed quote"));
	assert_non_null(strstr(d.error, "'cmdline=\"console=ttyS0 quiet'"));
	refused("g vm=a cmdline=\"quiet\"x", "malformed 'cmdline=\"quiet\"x'");
	refused("g vm=a cmdline=\"a\"\"b\"", "malformed 'cmdline=\"a\"\"b\"'");
	refused("g vm=\"a\"b", "malformed 'vm=\"a\"b'");
	refused("g vm=a mem=\"64M\"K", "malformed 'mem=\"64M\"K'");
	refused("g vm=a flag\"x\"", "malformed 'flag\"x\"'");
	refused("g vm=a \"", "malformed '\"'");
	/* A quoted value followed by a space is fine. */
	ok("g vm=\"a\" mem=\"64M\" cpus=\"2\"");
	assert_string_equal(d.name, "a");
	assert_int_equal(d.mem, 64 * MiB);
	assert_int_equal(d.cpus, 2);
}

static void test_reset_between_parses(void **state)
{
	(void)state;
	ok("g vm=a mem=2M cpus=3 cmdline=x");
	refused("h vm=b mem=0", "bad mem");
	ok("h vm=b");
	assert_int_equal(d.mem, 64 * MiB);
	assert_int_equal(d.cpus, 1);
	assert_false(d.has_cmdline);
	assert_string_equal(d.cmdline, "");
	assert_int_equal(d.kind, VMDEF_VM);
	ok("i vm=c module");
	ok("j vm=d");
	assert_int_equal(d.kind, VMDEF_VM);
}

/* Disks, NICs, console and entropy source (issue 14). */
static void test_devices(void **state)
{
	(void)state;
	ok("root.img vm=a disk");
	assert_int_equal(d.kind, VMDEF_DISK);
	assert_false(d.ro);
	ok("root.img vm=a disk ro");
	assert_true(d.ro);
	refused("k.elf vm=a ro", "'ro' is for a disk");
	ok("k.elf vm=a net=lan,dmz mac=02:AB:cd:00:00:01 console=virtio rng=no");
	assert_int_equal(d.nnics, 2);
	assert_string_equal(d.sw[0], "lan");
	assert_string_equal(d.sw[1], "dmz");
	assert_true(d.has_mac);
	assert_int_equal(d.mac[1], 0xab);
	assert_int_equal(d.mac[5], 1);
	assert_true(d.virtio_console);
	assert_true(d.no_rng);
	ok("k.elf vm=a");
	assert_int_equal(d.nnics, 0);
	assert_false(d.virtio_console);
	assert_false(d.no_rng);
	refused("k.elf vm=a net=", "bad net");
	refused("k.elf vm=a net=a,,b", "bad net");
	refused("k.elf vm=a net=a,b,c,d,e", "bad net");
	refused("k.elf vm=a net=a-switch-name-too-long", "bad net");
	refused("k.elf vm=a net=a mac=01:00:00:00:00:01", "bad mac");
	refused("k.elf vm=a net=a mac=02:00:00:00:00", "bad mac");
	refused("k.elf vm=a net=a mac=02-00-00-00-00-01", "bad mac");
	refused("k.elf vm=a net=a mac=02:00:00:00:0g:01", "bad mac");
	refused("k.elf vm=a mac=02:00:00:00:00:01", "mac= without net=");
	refused("k.elf vm=a console=hvc", "bad console");
	refused("k.elf vm=a rng=maybe", "bad rng");
	refused("d.img vm=a disk net=lan", "not a module's");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_key_order_and_whitespace),
		cmocka_unit_test(test_module),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_cmdline_length),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bad_mem),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_start),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_no_image),
		cmocka_unit_test(test_image_length),
		cmocka_unit_test(test_no_vm),
		cmocka_unit_test(test_unknown_key_and_flag),
		cmocka_unit_test(test_malformed_quotes),
		cmocka_unit_test(test_reset_between_parses),
		cmocka_unit_test(test_devices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
