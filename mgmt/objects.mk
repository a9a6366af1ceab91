# mgmt/: management: the one table of commands (cmds.c) and what they share (cmd.c), the
# commands by subject, snapshots and their files, the JSON API on COM2 and keel's prompt on
# COM1 as its two front ends; gdb's stub (gdb*.c) on a UART of its own; the link between keels
# (miglink*.c) for live migration.
KOBJS += mgmt/cmd.o mgmt/cmds.o mgmt/cmd_query.o mgmt/cmd_vm.o mgmt/cmd_snap.o mgmt/snapshot.o mgmt/snapfile.o mgmt/cmd_snapio.o mgmt/api.o mgmt/prompt.o mgmt/gdb.o mgmt/gdb_cmd.o mgmt/gdb_regs.o mgmt/gdb_regs_xml.o mgmt/gdb_pkt.o \
	mgmt/miglink.o mgmt/miglink_wire.o mgmt/miglink_test.o
UNIT_SRCS += mgmt/snapfile.c mgmt/gdb_pkt.c mgmt/gdb_regs.c mgmt/gdb_regs_xml.c mgmt/miglink_wire.c
# Live migration (issue 17): the engine, its commands; the transport's stand-in until
# mgmt/miglink.c is in the tree.
KOBJS += mgmt/migrate.o mgmt/migrate_in.o mgmt/cmd_migrate.o
KOBJS += $(if $(wildcard mgmt/miglink.c),,mgmt/miglink_none.o)
