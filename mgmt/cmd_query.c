/* The machine as it is: query-vms and the prompt's own commands (STUB). */
#include "mgmt/cmds.h"

bool cmd_help(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_query_vms(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_vcpus(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_console(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}

bool cmd_nmi(struct cmd_ctx *c)
{
	return cmd_fail(c, CMD_ERR_GENERIC, "not implemented yet");
}
