/* keel's serial console input. What is typed goes to one VM's UART at a time, or to keel's
 * own prompt; Ctrl-A then a key switches (README "Console"):
 *
 *   Ctrl-A c    the next VM (after the last one: keel's prompt)
 *   Ctrl-A 0-9  VM number N, in the order they were defined
 *   Ctrl-A k    keel's prompt
 *   Ctrl-A ?    this list
 *   Ctrl-A a    a literal Ctrl-A for the VM
 *
 * The host UART interrupts CPU 0 (through the I/O APIC) when bytes arrive; the handler moves
 * them into a 4 KiB ring, so a paste is not lost at the UART's 16-byte FIFO while a guest
 * runs. The scheduler on CPU 0 delivers the ring's bytes between guest time slices. A VM
 * whose UART FIFO is full holds the rest back for up to a second (as a terminal waits on
 * flow control), then loses them as an overrun, so a guest that never reads cannot block
 * the Ctrl-A keys. keel's own output also takes in what arrives while it waits for the
 * transmitter. CPU 0 also polls the UART between time slices and every 20 ms while idle,
 * which is all there is where the UART has no usable IRQ line. */
#include "vm/console.h"
#include "drivers/ioapic.h"
#include "drivers/lapic.h"
#include "drivers/timer.h"
#include "drivers/uart.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "kernel/trap.h"
#include "vm/virq.h"
#include "vm/vm.h"
#include "vm/vswitch.h"
#include "kernel/x86.h"

#define CTRL_A	  0x01
#define RING	  4096	  /* bytes typed and not yet delivered */
#define HOLD_US	  1000000 /* how long a byte waits for a VM's full UART FIFO */
#define POLL_EACH 256	  /* bytes delivered per console_poll */

static struct {
	struct vm *target; /* NULL: keel's prompt */
	bool escape;
	bool started;
	u64 held_tsc; /* when the oldest byte was first refused by its VM; 0: none is */
	u32 overruns; /* bytes a VM lost that way */
	char line[80];
	u32 len;
} con;

/* Filled under lock by fill() (the UART's interrupt, console_poll, and any CPU's log output
 * while it waits for the transmitter); emptied by console_poll on CPU 0. */
static struct {
	struct spinlock lock;
	u8 buf[RING];
	volatile u32 head, tail;
} ring;

static void say(const char *s)
{
	uart_write(s, strlen(s));
}

static bool takes_input(const struct vm *vm)
{
	return vm->state == VM_RUNNING && !vm->end && vm->console_input;
}

static struct vm *nth_vm(u32 n)
{
	struct vm *vm = vm_list;
	while (vm && n--)
		vm = vm->next;
	return vm;
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

/* What is above vm/ (mgmt/: keel's prompt and the management API) registers here. */
static struct {
	void (*line)(char *s);
	void (*poll)(void);
} mgmt;

void console_set_mgmt(void (*line)(char *s), void (*poll)(void))
{
	mgmt.line = line;
	mgmt.poll = poll;
}

void console_switch(struct vm *vm)
{
	switch_to(vm);
}

/* keel's prompt: the management commands' human front end (mgmt/prompt.c). */
static void command(char *s)
{
	if (mgmt.line)
		mgmt.line(s);
	else if (s[0])
		log_info("keel: no commands in this keel");
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
		while (next && !takes_input(next))
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

/* One byte typed: false if it must wait (its VM's UART FIFO is full). */
static bool key(u8 c)
{
	if (con.escape) {
		escape_key(c);
	} else if (c == CTRL_A) {
		con.escape = true;
	} else if (!con.target) {
		prompt_key(c);
	} else if (takes_input(con.target)) {
		return con.target->console_input(con.target, c);
	}
	return true;
}

/* Move what the UART holds into the ring; with the ring full the rest stays in the UART.
 * Whoever holds the lock is already doing it. */
static void fill(void)
{
	u64 flags;
	if (!spin_trylock_irq(&ring.lock, &flags))
		return;
	int c;
	while (ring.head - ring.tail < RING && (c = uart_getc()) >= 0)
		ring.buf[ring.head++ % RING] = (u8)c;
	spin_unlock_irq(&ring.lock, flags);
}

static void console_irq(struct trap_frame *f)
{
	(void)f;
	fill();
	lapic_eoi();
}

void console_start(void)
{
	int irq = uart_isa_irq();
	bool by_irq = irq >= 0 && ioapic_route_isa((u8)irq, VEC_CONSOLE, lapic_id());
	if (by_irq) {
		irq_register(VEC_CONSOLE, console_irq);
		uart_rx_irq_enable();
	}
	uart_set_rx_sink(fill);
	if (uart_port())
		log_info("console: input from UART %#x by %s", uart_port(),
			 by_irq ? "interrupt" : "polling");
	con.started = true;
	for (struct vm *vm = vm_list; vm; vm = vm->next) {
		if (takes_input(vm)) {
			switch_to(vm);
			return;
		}
	}
	switch_to(NULL);
}

/* The VM that had the console has stopped: it goes to the next VM that takes input (in the
 * order they were defined, wrapping around), or to keel's prompt. */
static void follow_stopped(void)
{
	struct vm *gone = con.target, *vm = gone->next;
	for (; vm != gone; vm = vm ? vm->next : vm_list)
		if (vm && takes_input(vm))
			break;
	log_info("console: vm %s has stopped", gone->name);
	switch_to(vm == gone ? NULL : vm);
	if (!con.target)
		say("keel> ");
}

void console_poll(void)
{
	if (mgmt.poll)
		mgmt.poll();
	if (!con.started)
		return;
	if (con.target && !takes_input(con.target))
		follow_stopped();
	fill(); /* without the interrupt, or bytes left behind while the ring was full */
	for (int n = 0; n < POLL_EACH && ring.tail != ring.head; n++) {
		if (!key(ring.buf[ring.tail % RING])) {
			u64 now = rdtsc();
			if (!con.held_tsc)
				con.held_tsc = now;
			if (now - con.held_tsc < us_to_tsc(HOLD_US))
				return;
			if (!con.overruns++)
				log_warn("console: vm %s does not read its UART; input is lost",
					 con.target ? con.target->name : "?");
		}
		con.held_tsc = 0;
		ring.tail++;
	}
}

bool console_active(void)
{
	return con.started && uart_port();
}

u64 console_poll_again(void)
{
	/* keep reading what is typed (and the API's requests), every 20 ms */
	return console_active() || mgmt.poll ? 20000 : 0;
}
