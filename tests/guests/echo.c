/* Reads lines typed on keel's console (its UART, polled) and answers each one; "quit" ends
 * it. The console tests switch keel's input between two of these and keel's prompt. */
#include "rt/rt.h"

int guest_main(void)
{
	char line[64];
	int n = 0;
	printf("echo: ready\n");
	for (;;) {
		if (!(inb(0x3fd) & 1)) /* line status: data ready */
			continue;
		char c = (char)inb(0x3f8);
		if (c != '\r' && c != '\n') {
			if (n < 63)
				line[n++] = c;
			continue;
		}
		line[n] = '\0';
		n = 0;
		if (!strncmp(line, "quit", 5)) {
			printf("echo: bye\n");
			return 0;
		}
		printf("echo: got '%s'\n", line);
	}
}
