/* Snapshots, rollback, clones, export and import (STUB). */
#include "mgmt/cmds.h"

bool cmd_snapshot_save(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_snapshot_load(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_snapshot_delete(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_query_snapshots(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_vm_clone(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_snapshot_export(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_vm_import(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}
