/*
 * warn.c — the library's only voice: one line on stderr per kind of
 * problem per run, so a failing disk cannot flood the host's terminal.
 * TALLY_QUIET=1 silences it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/run_internal.h"

void run_warn(tally_run *run, int code, const char *fmt, ...)
{
    /* TALLY_E* codes are -1..-18, online sync's SYNC_E* -100..-106 (its
     * warnings come through here too): each gets a bit of its own. */
    unsigned n = (unsigned)(-code);
    unsigned bit = 1u << ((n >= 100 ? n - 100 + 19 : n) & 31u);
    if (run && (atomic_fetch_or(&run->warned, bit) & bit))
        return;
    const char *quiet = getenv("TALLY_QUIET");
    if (quiet && quiet[0] && quiet[0] != '0')
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "tally: %s%s%s\n", run && run->id ? run->id : "", run && run->id ? ": " : "",
            line);
}
