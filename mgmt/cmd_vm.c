/* A VM's life and its share of the CPUs (STUB). */
#include "mgmt/cmds.h"

bool cmd_query_stats(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_stop(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_cont(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_system_reset(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_system_powerdown(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_vm_destroy(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_vm_start(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_vm_set(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}
