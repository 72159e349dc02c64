/*
 * spawn.h — runs a helper program (git, nvidia-smi) by argv, no shell, with
 * a timeout, and collects its stdout.  Used by git.c and nvml.c.
 */
#ifndef TALLY_CAPTURE_SPAWN_H
#define TALLY_CAPTURE_SPAWN_H

#include <stddef.h>

#include "common/buf.h"

/* Runs argv[0] (searched in PATH) in cwd (NULL: here) with stdin and stderr
 * on /dev/null; appends up to max_out bytes of its stdout to out (the rest is
 * read and dropped; *truncated set).  Kills it after timeout_ms.  Returns its
 * exit status (0..255), or TALLY_ENOTFOUND (not runnable), TALLY_ETIMEDOUT,
 * TALLY_EIO / TALLY_ENOMEM. */
int spawn_capture(const char *const argv[], const char *cwd, int timeout_ms, size_t max_out,
                  buf *out, int *truncated);

#endif
