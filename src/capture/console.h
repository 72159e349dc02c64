/*
 * console.h — console capture: the host's stdout and stderr go through
 * pipes to a tee thread that forwards every byte to the original
 * descriptors and records each line into the run.  Started and stopped by
 * capture.c; one capture at a time per process (fds 1 and 2 are global).
 */
#ifndef TALLY_CAPTURE_CONSOLE_H
#define TALLY_CAPTURE_CONSOLE_H

#include "tally.h"

typedef struct console console;

/* Swaps fds 1 and 2 for pipes.  TALLY_EBUSY when another run captures. */
int console_start(tally_run *run, console **out);
/* Puts the original fds back, drains what is in the pipes, joins, frees. */
void console_stop(console *c);

#endif
