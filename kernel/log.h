/* keel's log: one line per call, "[seconds.micros] text", levels as in Linux's printk. Lines go
 * to a ring buffer always and to the console when one is attached and the level passes. */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

#include "lib/types.h"

/* LOG_ALWAYS reaches the console at every loglevel: the banner and the end-of-run line. */
enum log_level { LOG_ALWAYS = 0, LOG_ERR = 3, LOG_WARN = 4, LOG_INFO = 6, LOG_DEBUG = 7 };

void log_msg(int level, const char *fmt, ...) __printf(2, 3);
void log_vmsg(int level, const char *fmt, va_list ap);

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Console output: a sink that writes bytes (the UART driver). NULL detaches. Attaching replays
 * the lines logged so far that pass the level, so nothing from early boot is lost. */
void log_attach_console(void (*write)(const char *s, size_t n));
void log_set_level(int level);
int log_level(void);
/* Time source for the stamps: a counter, its frequency in kHz (0 until calibrated) and its value
 * at time zero. */
void log_set_clock(u64 (*now)(void), u64 khz, u64 t0);
/* Called on the panic path: take the log even if this CPU already holds it. */
void log_break_lock(void);

#endif
