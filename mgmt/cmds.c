/* The one table of keel's management commands (README "Management API"): the JSON API and the
 * prompt both look commands up here, so each exists once. */
#include "mgmt/cmds.h"
#include "lib/string.h"

// clang-format off
const struct cmd cmds[] = {
	{"help", "", "this list", cmd_help},
	{"query-vms", "", "every VM: state, vCPUs, memory, CPU time, exits by kind", cmd_query_vms},
	{"query-stats", "", "per VM and per host CPU: run time, steal time, exits per second", cmd_query_stats},
	{"vcpus", "[vm=NAME]", "what the scheduler believes about each vCPU", cmd_vcpus},
	{"console", "vm=NAME", "keel's console input goes to VM NAME", cmd_console},
	{"nmi", "vm=NAME", "an NMI to vCPU 0 of VM NAME (a front-panel button)", cmd_nmi},
	{"stop", "vm=NAME", "pause VM NAME", cmd_stop},
	{"cont", "vm=NAME", "resume VM NAME", cmd_cont},
	{"system_reset", "vm=NAME", "reset VM NAME (it restarts)", cmd_system_reset},
	{"system_powerdown", "vm=NAME", "press VM NAME's ACPI power button", cmd_system_powerdown},
	{"vm-destroy", "vm=NAME", "end VM NAME and free its memory", cmd_vm_destroy},
	{"vm-start", "vm=NAME", "start VM NAME, defined with start=no", cmd_vm_start},
	{"vm-set", "vm=NAME [weight=N] [cap=PERCENT] [pin=CPULIST]", "change a VM's share of the CPUs", cmd_vm_set},
	{"snapshot-save", "vm=NAME tag=TAG", "snapshot VM NAME", cmd_snapshot_save},
	{"snapshot-load", "vm=NAME tag=TAG", "roll VM NAME back to snapshot TAG", cmd_snapshot_load},
	{"snapshot-delete", "vm=NAME tag=TAG", "forget snapshot TAG", cmd_snapshot_delete},
	{"query-snapshots", "[vm=NAME]", "the snapshots kept", cmd_query_snapshots},
	{"vm-clone", "vm=NAME tag=TAG name=NEW", "start VM NEW from snapshot TAG of VM NAME", cmd_vm_clone},
	{"snapshot-export", "vm=NAME tag=TAG", "stream snapshot TAG over the API", cmd_snapshot_export},
	{"vm-import", "name=NEW", "start VM NEW from an exported snapshot streamed in", cmd_vm_import},
	{"migrate", "vm=NAME to=HOST [downtime-ms=N]", "live-migrate VM NAME to the keel host=HOST", cmd_migrate},
	{"query-migrate", "[vm=NAME]", "how migrations go: status, round, pages, downtime", cmd_query_migrate},
	{"miglink-test", "to=HOST bytes=N [drop=N]", "test/diagnostic: N bytes of a pattern to keel HOST over the migration link", cmd_miglink_test},
};
// clang-format on
const u32 ncmds = ARRAY_SIZE(cmds);

const struct cmd *cmd_find(const char *name)
{
	for (u32 i = 0; i < ncmds; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

bool cmd_run(struct cmd_ctx *c)
{
	const struct cmd *cmd = cmd_find(c->req->execute);
	if (!cmd) /* QMP's words for it (QEMU's qmp-dispatch) */
		return cmd_fail(c, CMD_ERR_NOT_FOUND, "The command %s has not been found",
				c->req->execute);
	return cmd->run(c);
}
