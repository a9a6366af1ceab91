/* What every command shares: its arguments and its errors (mgmt/cmd.h). */
#include "mgmt/cmd.h"
#include "lib/fmt.h"
#include "lib/string.h"

bool cmd_fail(struct cmd_ctx *c, const char *cls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	c->err_class = cls;
	return false;
}

static const struct json_val *arg(const struct cmd_ctx *c, const char *key)
{
	for (u32 i = 0; i < c->req->nargs; i++)
		if (!strcmp(c->req->args[i].key, key))
			return &c->req->args[i].val;
	return NULL;
}

bool cmd_has_arg(const struct cmd_ctx *c, const char *key)
{
	return arg(c, key) != NULL;
}

bool cmd_arg_str(struct cmd_ctx *c, const char *key, char *out, u32 cap, bool required)
{
	const struct json_val *v = arg(c, key);
	if (!v)
		return required ? cmd_fail(c, CMD_ERR_GENERIC, "missing argument '%s'", key)
				: false;
	if (!json_str(v, out, cap))
		return cmd_fail(c, CMD_ERR_GENERIC,
				"argument '%s' must be a string of at most %u bytes", key, cap - 1);
	return true;
}

bool cmd_arg_u64(struct cmd_ctx *c, const char *key, u64 *out, bool required)
{
	const struct json_val *v = arg(c, key);
	if (!v)
		return required ? cmd_fail(c, CMD_ERR_GENERIC, "missing argument '%s'", key)
				: false;
	if (!json_u64(v, out))
		return cmd_fail(c, CMD_ERR_GENERIC, "argument '%s' must be an unsigned integer",
				key);
	return true;
}

/* The VM named name: the one not destroyed, else the last destroyed one of that name (a name
 * freed by vm-destroy or a migration away may be taken again: snap_bad_name). */
static struct vm *by_name(const char *name)
{
	struct vm *found = NULL;
	for (struct vm *vm = vm_list; vm; vm = vm->next)
		if (!strcmp(vm->name, name)) {
			if (vm->state != VM_DESTROYED)
				return vm;
			found = vm;
		}
	return found;
}

struct vm *cmd_arg_vm(struct cmd_ctx *c)
{
	char name[VM_NAME_MAX];
	if (!cmd_arg_str(c, "vm", name, sizeof(name), true))
		return NULL;
	struct vm *named = by_name(name);
	if (named)
		return named;
	/* The prompt's `console 1`: VM number N, in the order they were defined. */
	if (name[0] >= '0' && name[0] <= '9' && !name[1]) {
		struct vm *vm = vm_list;
		for (int n = name[0] - '0'; vm && n; n--)
			vm = vm->next;
		if (vm)
			return vm;
	}
	cmd_fail(c, CMD_ERR_GENERIC, "no VM named '%s'", name);
	return NULL;
}

const char *cmd_end_reason(enum vm_end end)
{
	static const char *const reasons[] = {
		[VM_END_NONE] = "none",
		[VM_END_EXIT] = "guest-exit",
		[VM_END_SHUTDOWN] = "guest-triple-fault",
		[VM_END_HALTED] = "guest-halted",
		[VM_END_ERROR] = "host-error",
		[VM_END_POWEROFF] = "guest-shutdown",
		[VM_END_RESET] = "guest-reset",
		[VM_END_DESTROYED] = "destroyed",
	};
	return end < ARRAY_SIZE(reasons) && reasons[end] ? reasons[end] : "host-error";
}
