/* keel's management commands (README "Management API"): one table (mgmt/cmds.c), two front
 * ends: the JSON API on COM2 (mgmt/api.c, shaped like QEMU's QMP) and keel's prompt on COM1
 * (mgmt/prompt.c, `CMD key=value ...`). A command gets its parsed arguments and writes its
 * result as one JSON value, or fails with an error class and a reason. Commands run on CPU 0,
 * between guest time slices, one at a time. */
#ifndef KEEL_CMD_H
#define KEEL_CMD_H

#include "lib/json.h"
#include "vm/vm.h"

/* QMP's error classes that keel uses. */
#define CMD_ERR_GENERIC	  "GenericError"
#define CMD_ERR_NOT_FOUND "CommandNotFound"

/* One command being run: its request, where its result goes, and its error. */
struct cmd_ctx {
	const struct json_request *req;
	/* The "return" value: the command writes one JSON value (nothing written: {}). */
	struct jw *out;
	/* Set by cmd_fail. */
	const char *err_class;
	char err[160];
	/* Extra lines a long command streams before its reply (snapshot-export): the API's
	 * writer, NULL on the prompt (the command then refuses). */
	void (*stream)(const char *line, u32 len);
};

struct cmd {
	const char *name;		/* as the API names it: "query-vms", "snapshot-save" */
	const char *args;		/* for help: "vm=NAME tag=TAG" */
	const char *help;		/* one line */
	bool (*run)(struct cmd_ctx *c); /* false: failed, and cmd_fail said why */
};

/* The table, in help's order. */
extern const struct cmd cmds[];
extern const u32 ncmds;
const struct cmd *cmd_find(const char *name);
/* Run c->req's command (CPU 0, either front end): its result into c->out, or false with c
 * failed (CommandNotFound for a name not in the table). */
bool cmd_run(struct cmd_ctx *c);

/* Fail c with class and a reason (logged by the front end): returns false, for
 * `return cmd_fail(...)`. */
bool cmd_fail(struct cmd_ctx *c, const char *cls, const char *fmt, ...) __printf(3, 4);
/* Argument key as a string into out (cap bytes): false if absent (fails c when required) or
 * not a string. */
bool cmd_arg_str(struct cmd_ctx *c, const char *key, char *out, u32 cap, bool required);
/* Argument key as an unsigned number (the prompt's key=123 is one too): false if absent
 * (fails c when required) or not a number. */
bool cmd_arg_u64(struct cmd_ctx *c, const char *key, u64 *out, bool required);
/* True if argument key is present. */
bool cmd_has_arg(const struct cmd_ctx *c, const char *key);
/* The VM named by the "vm" argument (a name, or on the prompt also its number): NULL, and c
 * failed, if there is none. */
struct vm *cmd_arg_vm(struct cmd_ctx *c);

/* How a VM ended, in the words of QMP's SHUTDOWN reasons (QEMU's ShutdownCause) where they
 * exist: query-vms and the SHUTDOWN event say the same. */
const char *cmd_end_reason(enum vm_end end);

#endif
