#ifndef KEEL_SELFTEST_H
#define KEEL_SELFTEST_H

/* Run the fault selftest= asks for, if any (after start-up, before any VM). */
void selftest_run(void);

#endif
