/* keel's serial console input. What is typed goes to one VM's UART at a time, or to keel's
 * own prompt; Ctrl-A then a key switches (README "Console"):
 *
 *   Ctrl-A c    the next VM (after the last one: keel's prompt)
 *   Ctrl-A 0-9  VM number N, in the order they were defined
 *   Ctrl-A k    keel's prompt
 *   Ctrl-A ?    this list
 *   Ctrl-A a    a literal Ctrl-A for the VM
 *
 * The host UART is polled by CPU 0 between guest time slices (and every 20 ms while idle):
 * keel takes no interrupts from it. */
#include "kernel/console.h"
#include "drivers/uart.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/vm.h"

#define CTRL_A 0x01

static struct {
	struct vm *target; /* NULL: keel's prompt */
	bool escape;
	bool started;
	char line[80];
	u32 len;
} con;

static void say(const char *s)
{
	uart_write(s, strlen(s));
}

static struct vm *nth_vm(u32 n)
{
	struct vm *vm = vm_list;
	while (vm && n--)
		vm = vm->next;
	return vm;
}

static struct vm *find_vm(const char *name)
{
	for (struct vm *vm = vm_list; vm; vm = vm->next)
		if (!strcmp(vm->name, name))
			return vm;
	if (name[0] >= '0' && name[0] <= '9' && !name[1])
		return nth_vm((u32)(name[0] - '0'));
	return NULL;
}

static void switch_to(struct vm *vm)
{
	con.target = vm;
	if (vm)
		log_info("console: input goes to vm %s (Ctrl-A ? for help)", vm->name);
	else
		log_info("console: input goes to keel (type help; Ctrl-A ? for the keys)");
}

static void help_keys(void)
{
	log_info("console: Ctrl-A c next VM, Ctrl-A 0-9 VM number N, Ctrl-A k keel's prompt, "
		 "Ctrl-A a a literal Ctrl-A");
}

static const char *state_name(const struct vm *vm)
{
	if (vm->state == VM_RUNNING)
		return vm->end ? "stopping" : "running";
	return vm->state == VM_STOPPED ? "stopped" : "created";
}

/* keel's prompt: a few commands, one line at a time. */
static void command(char *s)
{
	char *arg = strchr(s, ' ');
	if (arg)
		*arg++ = '\0';
	if (!strcmp(s, "help") || !strcmp(s, "?")) {
		log_info("keel: commands: vms, console NAME|N, stop NAME|all, help");
	} else if (!strcmp(s, "vms")) {
		u32 n = 0;
		for (struct vm *vm = vm_list; vm; vm = vm->next, n++)
			log_info("keel: %u %-12s %s, %llu MiB, %u vCPU%s%s%s", n, vm->name,
				 state_name(vm), (unsigned long long)(vm->mem.size / MiB),
				 vm->nvcpus, vm->nvcpus == 1 ? "" : "s", vm->end ? ": " : "",
				 vm->end ? vm->why : "");
	} else if (!strcmp(s, "console") && arg) {
		struct vm *vm = find_vm(arg);
		if (vm)
			switch_to(vm);
		else
			log_info("keel: no VM %s", arg);
	} else if (!strcmp(s, "stop") && arg) {
		for (struct vm *vm = vm_list; vm; vm = vm->next)
			if (!strcmp(arg, "all") || vm == find_vm(arg))
				vm_stop(vm, VM_END_ERROR, 0, "stopped from keel's console");
	} else if (s[0]) {
		log_info("keel: unknown command '%s' (try help)", s);
	}
}

static void prompt_key(u8 c)
{
	if (c == '\r' || c == '\n') {
		say("\n");
		con.line[con.len] = '\0';
		con.len = 0;
		command(con.line);
		say("keel> ");
	} else if ((c == 0x7f || c == 8) && con.len) {
		con.len--;
		say("\b \b");
	} else if (c >= 0x20 && c < 0x7f && con.len + 1 < sizeof(con.line)) {
		con.line[con.len++] = (char)c;
		uart_write((const char *)&c, 1);
	}
}

static void escape_key(u8 c)
{
	con.escape = false;
	if (c == 'c' || c == 'n') {
		struct vm *next = con.target ? con.target->next : vm_list;
		while (next && (next->state != VM_RUNNING || !next->console_input))
			next = next->next;
		switch_to(next);
		if (!next)
			say("keel> ");
	} else if (c >= '0' && c <= '9') {
		struct vm *vm = nth_vm((u32)(c - '0'));
		if (vm)
			switch_to(vm);
	} else if (c == 'k') {
		switch_to(NULL);
		say("keel> ");
	} else if (c == '?' || c == 'h') {
		help_keys();
	} else if (c == 'a' || c == CTRL_A) {
		if (con.target && con.target->console_input)
			con.target->console_input(con.target, CTRL_A);
	}
}

static void key(u8 c)
{
	if (con.escape) {
		escape_key(c);
	} else if (c == CTRL_A) {
		con.escape = true;
	} else if (!con.target) {
		prompt_key(c);
	} else if (con.target->state == VM_RUNNING && !con.target->end &&
		   con.target->console_input) {
		con.target->console_input(con.target, c);
	}
}

void console_start(void)
{
	con.started = true;
	for (struct vm *vm = vm_list; vm; vm = vm->next) {
		if (vm->state == VM_RUNNING && vm->console_input) {
			switch_to(vm);
			return;
		}
	}
	switch_to(NULL);
}

void console_poll(void)
{
	if (!con.started)
		return;
	for (int i = 0; i < 64; i++) {
		int c = uart_getc();
		if (c < 0)
			return;
		key((u8)c);
	}
}

bool console_active(void)
{
	return con.started && uart_port();
}
