/* The guest the gdb tests debug (tests/suite_gdb.py, README "Debugging a guest"), built with
 * -Og -g so that gdb finds its functions, lines and variables. In order it:
 *   1. calls hit(1), the function the tests break on (it reads `counter`, 7 at start);
 *   2. runs steps(), a loop over several lines and a call to inner(), for next and step;
 *   3. writes `watched` (0 -> 42) in mark(), the watchpoint's target;
 *   4. copies routine() (2x + 1, position independent) into copy_area and calls it there,
 *      so a hardware breakpoint set on copy_area before the copy stops at the copy (an INT3
 *      written there would be overwritten by the copy);
 *   5. spins until gdb sets `release` (Ctrl-C, `set var release=N`, continue), or for
 *      spin=N rounds (cmdline; default 2000000, 0 = until released);
 *   6. prints "gdbt: counter C release R copied X" and exits with status counter + release
 *      (1 if the copied routine gave a wrong result).
 * With no debugger and the default command line it exits with status 7. */
#include "rt/rt.h"

volatile u32 counter = 7; /* read and changed by gdb: the exit status's first term */
volatile u32 watched;	  /* written once, in mark(): 42 */
volatile u32 release;	  /* the spin loop ends when gdb sets it: the status's second term */
volatile u32 copied;	  /* routine's result from its copy: 41 */
volatile u32 total;	  /* what steps() summed: 6 */
u8 copy_area[64] __attribute__((aligned(16)));

/* routine(x) = 2x + 1 in position-independent code, with its end to copy it by. */
__asm__(".pushsection .text\n"
	".globl routine, routine_end\n"
	"routine:\n"
	"	lea 1(%rdi,%rdi), %eax\n"
	"	ret\n"
	"routine_end:\n"
	".popsection");
u32 routine(u32 x);
extern char routine_end[];

/* The function the tests break on first: it reads the counter gdb changes. */
__attribute__((noinline)) void hit(u32 n)
{
	printf("gdbt: hit %u counter %u\n", n, counter);
}

/* One line of work in its own function, for `step` into it. */
__attribute__((noinline)) u32 inner(u32 i)
{
	u32 r = i * 3;
	return r + 1;
}

/* A loop over several lines, for `next`. */
__attribute__((noinline)) void steps(void)
{
	volatile u32 a = 0, b = 0;
	for (u32 i = 0; i < 4; i++) {
		a = a + i;
		b = b ^ a;
		b = b + inner(i);
	}
	total = a;
	printf("gdbt: steps %u %u\n", a, b);
}

/* The one write to `watched`. */
__attribute__((noinline)) void mark(void)
{
	watched = 42;
	printf("gdbt: marked %u\n", watched);
}

/* Copy routine() to copy_area and call it there. */
__attribute__((noinline)) void copy_and_call(void)
{
	size_t n = (size_t)(routine_end - (char *)routine);
	memcpy(copy_area, (void *)routine, n);
	__asm__ volatile("" ::: "memory");
	copied = ((u32(*)(u32))(void *)copy_area)(20);
	printf("gdbt: copied %u\n", copied);
}

/* Wait for gdb to set release, or for `rounds` rounds (0: forever). */
__attribute__((noinline)) void spin(u64 rounds)
{
	printf("gdbt: spinning\n");
	for (u64 i = 0; !release && (!rounds || i < rounds); i++)
		__asm__ volatile("pause");
	printf("gdbt: released %u\n", release);
}

int guest_main(void)
{
	printf("gdbt: start\n");
	hit(1);
	steps();
	mark();
	copy_and_call();
	spin(cmdline_num("spin", 2000000));
	printf("gdbt: counter %u release %u copied %u\n", counter, release, copied);
	if (copied != 41 || total != 6)
		return 1;
	return (int)(counter + release);
}
