/* Live migration's commands (README "Live migration"): migrate starts one and returns at once,
 * query-migrate says how it goes. The work is mgmt/migrate.c's, from CPU 0's poll. */
#include "mgmt/cmds.h"
#include "mgmt/migrate.h"

#define DOWNTIME_MS 300 /* the default pause the VM may see */

bool cmd_migrate(struct cmd_ctx *c)
{
	char to[32];
	u64 ms = DOWNTIME_MS;
	struct vm *vm = cmd_arg_vm(c);
	if (!vm || !cmd_arg_str(c, "to", to, sizeof(to), true))
		return false;
	if (cmd_has_arg(c, "downtime-ms") && !cmd_arg_u64(c, "downtime-ms", &ms, true))
		return false;
	const char *why = migrate_start(vm, to, ms);
	if (why)
		return cmd_fail(c, CMD_ERR_GENERIC, "cannot migrate %s to %s: %s", vm->name, to,
				why);
	jw_obj_begin(c->out);
	jw_kstr(c->out, "status", "active");
	jw_obj_end(c->out);
	return true;
}

bool cmd_query_migrate(struct cmd_ctx *c)
{
	char vm[VM_NAME_MAX];
	bool one = cmd_has_arg(c, "vm");
	if (one && !cmd_arg_str(c, "vm", vm, sizeof(vm), true))
		return false;
	if (!migrate_query(c->out, one ? vm : NULL))
		return cmd_fail(c, CMD_ERR_GENERIC, "VM %s has not been migrated", vm);
	return true;
}
