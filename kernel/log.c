/* The log: formats a line, keeps it in a ring, writes it to the console. */
#include "kernel/log.h"
#include "lib/fmt.h"
#include "kernel/spinlock.h"

#define RING_SIZE (64 * 1024)

static struct {
	struct spinlock lock;
	char ring[RING_SIZE]; /* lines with a leading level byte, NUL-free */
	size_t head;	      /* total bytes ever written */
	void (*console)(const char *s, size_t n);
	int level;
	u64 (*now)(void);
	u64 khz;
	u64 t0;
} lg = {.level = LOG_INFO};

static void ring_put(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		lg.ring[(lg.head + i) % RING_SIZE] = s[i];
	lg.head += n;
}

static int stamp(char *buf, size_t n)
{
	u64 us = 0;
	if (lg.now && lg.khz)
		us = (lg.now() - lg.t0) * 1000 / lg.khz;
	return fmt_snprintf(buf, n, "[%5llu.%06llu] ", (us / 1000000), (us % 1000000));
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
	char line[512];
	int len = 1;
	line[0] = (char)('0' + level);
	len += stamp(line + len, sizeof(line) - (size_t)len);
	if (level <= LOG_ERR && level != LOG_ALWAYS)
		len += fmt_snprintf(line + len, sizeof(line) - (size_t)len, "error: ");
	else if (level == LOG_WARN)
		len += fmt_snprintf(line + len, sizeof(line) - (size_t)len, "warning: ");
	int r = fmt_vsnprintf(line + len, sizeof(line) - (size_t)len, fmt, ap);
	len = MIN((size_t)(len + r), sizeof(line) - 2);
	line[len++] = '\n';

	u64 flags = spin_lock_irq(&lg.lock);
	ring_put(line, (size_t)len);
	if (lg.console && level <= lg.level)
		lg.console(line + 1, (size_t)len - 1);
	spin_unlock_irq(&lg.lock, flags);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_attach_console(void (*write)(const char *s, size_t n))
{
	u64 flags = spin_lock_irq(&lg.lock);
	lg.console = write;
	if (write) {
		/* Replay what the ring still holds, line by line, filtered by level. */
		size_t start = lg.head > RING_SIZE ? lg.head - RING_SIZE : 0;
		char line[512];
		size_t len = 0;
		for (size_t i = start; i < lg.head; i++) {
			char c = lg.ring[i % RING_SIZE];
			if (len < sizeof(line))
				line[len++] = c;
			if (c == '\n') {
				if (len > 1 && line[0] - '0' <= lg.level)
					write(line + 1, len - 1);
				len = 0;
			}
		}
	}
	spin_unlock_irq(&lg.lock, flags);
}

void log_set_level(int level)
{
	lg.level = level;
}

int log_level(void)
{
	return lg.level;
}

void log_set_clock(u64 (*now)(void), u64 khz, u64 t0)
{
	lg.now = now;
	lg.khz = khz;
	lg.t0 = t0;
}

void log_break_lock(void)
{
	if (spin_held_by_me(&lg.lock))
		spin_unlock(&lg.lock);
}
