/* A yield storm: YIELD hypercalls in a loop (issue 11 item 15: two of these pinned to two host
 * CPUs under QEMU's multi-threaded TCG once ended the run with no status). Prints the count
 * and exits 0; a run that ends any other way is the failure.
 *
 * cmdline: yields=N (default 20000). */
#include "rt/rt.h"

#define HC_YIELD 3

int guest_main(void)
{
	u64 n = cmdline_num("yields", 20000);
	for (u64 i = 0; i < n; i++)
		hypercall(HC_YIELD, 0, 0, 0, 0);
	printf("yield: %llu yields done\n", (unsigned long long)n);
	return 0;
}
