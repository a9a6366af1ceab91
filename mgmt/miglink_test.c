/* miglink-test (a test and diagnostic command, README "Live migration"): send N bytes of a
 * known pattern over a test stream to another keel and compare its SHA-256 of what arrived
 * with ours. The responder (ml_test_serve in mgmt/miglink.c) runs inside the peer's link,
 * never handed to the migration engine. The command holds CPU 0 until the answer comes (at most ML_TEST_US). */
#include "mgmt/cmds.h"
#include "mgmt/miglink_int.h"
#include "drivers/timer.h"
#include "kernel/log.h"
#include "kernel/x86.h"
#include "lib/string.h"

#define ML_TEST_US     60000000ull /* the whole test's limit */
#define ML_TEST_MAGIC  0x4b4c5431u /* "KLT1": the first message, then the byte count */
#define ML_TEST_ANSWER (8 + SHA256_LEN)

static u8 buf[MIGLINK_MSG_MAX];

/* The pattern's byte at offset i (not periodic at a page or a fragment). */
static u8 pattern(u64 i)
{
	return (u8)(i * 131 + (i >> 12));
}

/* The next message of the pattern (the header first) if the window takes it. */
static bool send_next(struct miglink *l, u64 total, u64 *off, bool *hdr, struct sha256 *sum)
{
	if (!*hdr) {
		ml_put64(buf, (u64)ML_TEST_MAGIC << 32 | total >> 32);
		buf[8] = (u8)(total >> 24), buf[9] = (u8)(total >> 16);
		buf[10] = (u8)(total >> 8), buf[11] = (u8)total;
		return (*hdr = miglink_send(l, buf, 12));
	}
	u64 at = *off;
	u32 n = total - at < MIGLINK_MSG_MAX ? (u32)(total - at) : MIGLINK_MSG_MAX;
	for (u32 i = 0; i < n; i++)
		buf[i] = pattern(at + i);
	if (!miglink_send(l, buf, n))
		return false;
	sha256_update(sum, buf, n);
	*off += n;
	return true;
}

/* The digest as hex. */
static void hex(char *out, const u8 *d)
{
	static const char digits[] = "0123456789abcdef";
	for (u32 i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * SHA256_LEN] = 0;
}

/* Run the test on an open stream: the peer's answer into ans, or false with *why. */
static bool exchange(struct miglink *l, u64 total, u8 *mine, u8 *ans, const char **why)
{
	struct sha256 sum;
	sha256_init(&sum);
	u64 off = 0, end = time_us() + ML_TEST_US;
	bool hdr = false;
	while (time_us() < end) {
		miglink_poll();
		if ((*why = miglink_error(l)))
			return false;
		while ((!hdr || off < total) && send_next(l, total, &off, &hdr, &sum))
			;
		int n = miglink_recv(l, buf, sizeof(buf));
		if (n == ML_TEST_ANSWER) {
			sha256_final(&sum, mine);
			memcpy(ans, buf, ML_TEST_ANSWER);
			return true;
		}
		cpu_relax();
	}
	*why = "no answer within 60 s";
	return false;
}

bool cmd_miglink_test(struct cmd_ctx *c)
{
	char to[ML_NAME];
	u64 total;
	if (!cmd_arg_str(c, "to", to, sizeof(to), true) || !cmd_arg_u64(c, "bytes", &total, true))
		return false;
	const char *why;
	struct miglink *l = ml_connect(to, true, &why);
	if (!l)
		return cmd_fail(c, CMD_ERR_GENERIC, "miglink-test: %s", why);
	u8 mine[SHA256_LEN], ans[ML_TEST_ANSWER];
	u64 t0 = time_us();
	bool ok = exchange(l, total, mine, ans, &why);
	struct miglink_stats st;
	miglink_stats(l, &st);
	miglink_close(l);
	if (!ok)
		return cmd_fail(c, CMD_ERR_GENERIC, "miglink-test: %s", why);
	char a[2 * SHA256_LEN + 1], b[2 * SHA256_LEN + 1];
	hex(a, mine);
	hex(b, ans + 8);
	jw_obj_begin(c->out);
	jw_kstr(c->out, "to", to);
	jw_ku64(c->out, "bytes", total);
	jw_ku64(c->out, "peer_bytes", ml_get64(ans));
	jw_kstr(c->out, "sha256", a);
	jw_kstr(c->out, "peer_sha256", b);
	jw_kbool(c->out, "match", !strcmp(a, b) && ml_get64(ans) == total);
	jw_ku64(c->out, "us", time_us() - t0);
	jw_ku64(c->out, "retransmits", st.retransmits);
	jw_ku64(c->out, "dropped", st.dropped);
	jw_obj_end(c->out);
	return true;
}
