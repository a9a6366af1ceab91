/* Hello from each entry mode: prints, shows its command line, exits 0. */
#include "rt/rt.h"

int guest_main(void)
{
	printf("hello from a %d-bit guest\n", (int)(sizeof(void *) * 8));
	printf("cmdline: %s\n", cmdline());
	printf("fw_cfg cpus: ");
	outw(0x510, 0x05);
	printf("%u\n", inb(0x511));
	return (int)cmdline_num("status", 0);
}
