/*
 * gitinfo.h — the git state of the working directory at init: commit,
 * branch, remote (credentials stripped), dirty flag, and the diff when
 * dirty.  git runs by argv with a timeout (spawn.c); no repository or no
 * git: nothing.  Called by capture.c; the URL scrubber is pure and tested.
 */
#ifndef TALLY_CAPTURE_GITINFO_H
#define TALLY_CAPTURE_GITINFO_H

#include <stddef.h>

#include "tally.h"

/* Copies url without its user:password@ part ("https://u:p@h/x" ->
 * "https://h/x"; scp-like "git@host:x" is kept as it is).  Returns a
 * malloc'd string, or NULL on out of memory. */
char *gitinfo_strip_url(const char *url);

typedef struct gitinfo {
    char *json;  /* {"commit":..,"branch":..,"remote":..,"dirty":..,"root":..} */
    char *patch; /* `git diff HEAD` when dirty, else NULL */
    size_t patch_len;
} gitinfo;

/* Reads the state of the repository holding cwd (NULL: here).  0, or
 * TALLY_ENOTFOUND (no repository, git missing or too slow). */
int gitinfo_read(const char *cwd, int timeout_ms, gitinfo *out);
void gitinfo_free(gitinfo *g);

/* Records it into run: the "git" column and diff.patch. */
int gitinfo_record(tally_run *run, const gitinfo *g);

#endif
