/* Guest output on keel's log: what a guest prints (its UART, the PRINT hypercall) becomes
 * "[NAME] text" lines that cannot drive keel's terminal (README "What a guest sees"). */
#ifndef KEEL_GUESTOUT_H
#define KEEL_GUESTOUT_H

#include "lib/types.h"

/* Guest text per log line: a longer line is logged whole, continued on lines that start
 * "[NAME]+ ". 400 leaves room in the log's 512-byte line for the stamp and a 31-byte name. */
#define GUEST_LINE_MAX 400

/* A line being collected; flat (no pointers), so it can live in device state. */
struct guest_line {
	u16 len;
	bool more; /* a piece of this line is logged already: the next one is a continuation */
	char buf[GUEST_LINE_MAX];
};

/* Make n bytes of guest text safe for a terminal, in place: every C0 control but tab, DEL,
 * every C1 control (raw, or UTF-8-encoded as U+0080-U+009F) and every byte that is not part
 * of well-formed UTF-8 becomes '.'; printable ASCII and well-formed UTF-8 stay. */
void guest_text_clean(char *s, size_t n);
/* Add n bytes of output: '\n' logs the line, '\r' is dropped, a line longer than
 * GUEST_LINE_MAX is logged in pieces cut between UTF-8 characters. */
void guest_line_put(struct guest_line *l, const char *name, const u8 *s, size_t n);
/* Log what is collected, if anything (output that ends without a newline). */
void guest_line_flush(struct guest_line *l, const char *name);

#endif
