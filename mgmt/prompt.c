/* keel's prompt on COM1 (README "Console"): the management commands' human front end. A line
 * `CMD [NAME] [key=value ...]` becomes the API's request {"execute": CMD, "arguments": {...}}
 * (a bare first word is vm=NAME; digits are a number, except a VM's name), so the prompt runs
 * exactly what the API runs, and prints the result on a log line. */
#include "mgmt/mgmt.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "vm/vswitch.h"

#define CHUNK 400 /* bytes of a result per log line (log lines hold 512) */

static struct {
	char req[1024], ret[16384];
	struct json_request r;
} p;

static bool all_digits(const char *s, u32 n)
{
	for (u32 i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0 && n < 20;
}

/* One `key=value` (or the bare first word, as vm=word) as an argument. */
static void add_arg(struct jw *w, const char *k, u32 kn, const char *v, u32 vn)
{
	char key[32];
	if (kn >= sizeof(key))
		kn = sizeof(key) - 1; /* the parser then refuses it as unknown */
	memcpy(key, k, kn);
	key[kn] = '\0';
	jw_key(w, key);
	if (all_digits(v, vn) && strcmp(key, "vm"))
		jw_raw(w, v, vn);
	else
		jw_strn(w, v, vn);
}

/* The typed line as a JSON request in p.req: NULL, or why it cannot be one. */
static const char *to_json(char *s)
{
	struct jw w;
	jw_init(&w, p.req, sizeof(p.req));
	jw_obj_begin(&w);
	char *sp = strchr(s, ' ');
	if (sp)
		*sp++ = '\0';
	jw_kstr(&w, "execute", s);
	jw_key(&w, "arguments");
	jw_obj_begin(&w);
	for (bool first = true; sp && *sp; first = false) {
		while (*sp == ' ')
			sp++;
		const char *word = sp;
		while (*sp && *sp != ' ')
			sp++;
		u32 n = (u32)(sp - word);
		if (!n)
			break;
		const char *eq = word;
		while (eq < sp && *eq != '=')
			eq++;
		if (eq < sp)
			add_arg(&w, word, (u32)(eq - word), eq + 1, n - (u32)(eq - word) - 1);
		else if (first)
			add_arg(&w, "vm", 2, word, n);
		else
			return "expected key=value";
	}
	jw_obj_end(&w);
	jw_obj_end(&w);
	return w.overflow ? "line too long" : NULL;
}

/* help, for a person: one line per command. */
static void help(void)
{
	log_info("keel: commands (CMD [NAME] [key=value ...]; Ctrl-A ? for the keys):");
	for (u32 i = 0; i < ncmds; i++)
		log_info("keel:   %-16s %-28s %s", cmds[i].name, cmds[i].args, cmds[i].help);
}

/* vms: the VMs, one line each, as the prompt always showed them. */
static void vms(void)
{
	u32 n = 0;
	for (struct vm *vm = vm_list; vm; vm = vm->next, n++) {
		const char *state = vm->state == VM_RUNNING   ? (vm->end ? "stopping" : "running")
				    : vm->state == VM_STOPPED ? "stopped"
							      : "created";
		log_info("keel: %u %-12s %s, %llu MiB, %u vCPU%s%s%s", n, vm->name, state,
			 (vm->mem.size / MiB), vm->nvcpus, vm->nvcpus == 1 ? "" : "s",
			 vm->end ? ": " : "", vm->end ? vm->why : "");
	}
	vswitch_show("keel: ");
}

/* The result, CHUNK bytes to a log line. */
static void show(const struct jw *w)
{
	if (!w->len) {
		log_info("keel: {}");
		return;
	}
	for (u32 i = 0; i < w->len; i += CHUNK)
		log_info("keel: %.*s", (int)(w->len - i < CHUNK ? w->len - i : CHUNK), w->buf + i);
}

void prompt_line(char *s)
{
	while (*s == ' ')
		s++;
	if (!s[0])
		return;
	if (!strcmp(s, "help") || !strcmp(s, "?")) {
		help();
		return;
	}
	if (!strcmp(s, "vms")) {
		vms();
		return;
	}
	const char *why = to_json(s);
	if (!why)
		why = json_parse_request(p.req, (u32)strlen(p.req), &p.r);
	if (why) {
		log_info("keel: %s (try help)", why);
		return;
	}
	struct jw ret;
	jw_init(&ret, p.ret, sizeof(p.ret));
	struct cmd_ctx c = {.req = &p.r, .out = &ret};
	if (!cmd_run(&c))
		log_info("keel: %s: %s", c.err_class ? c.err_class : CMD_ERR_GENERIC, c.err);
	else if (ret.overflow)
		log_info("keel: %s: reply too large", CMD_ERR_GENERIC);
	else
		show(&ret);
}
