/*
 * capture.c — the capture parts' lifecycle within a run (see capture.h).
 * Owns the sampler and console handles of one run; called by run.c only.
 */
#include "capture/capture.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/console.h"
#include "capture/gitinfo.h"
#include "capture/sampler.h"
#include "common/clock.h"
#include "core/run_internal.h"

#define CAPTURE_GIT_TIMEOUT_MS 5000

struct capture_ctx {
    sampler *sampler;
    console *console;
};

int capture_sample_ms(const tally_options *o)
{
    int ms = o->sample_ms;
    const char *env = getenv("TALLY_SAMPLE_MS");
    if (!ms && env && env[0]) {
        char *end;
        long v = strtol(env, &end, 10);
        if (!*end && v >= -1 && v <= 24L * 3600 * 1000)
            ms = (int)v;
    }
    if (ms > 0 && ms < 10)
        ms = 10;
    return ms ? ms : CAPTURE_SAMPLE_MS_DEFAULT;
}

void capture_start(tally_run *run, const tally_options *o, capture_ctx **out)
{
    *out = NULL;
    unsigned bits = o->capture ? o->capture : ~TALLY_CAPTURE_NONE;
    if (bits & TALLY_CAPTURE_NONE)
        return;
    capture_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return;
    if (bits & TALLY_CAPTURE_GIT) {
        gitinfo g;
        if (gitinfo_read(NULL, CAPTURE_GIT_TIMEOUT_MS, &g) == 0) {
            int rc = gitinfo_record(run, &g);
            if (rc && rc != TALLY_EFINISHED)
                run_warn(run, rc, "cannot record the git state: %s", tally_strerror(rc));
            gitinfo_free(&g);
        }
    }
    int ms = capture_sample_ms(o);
    if ((bits & TALLY_CAPTURE_SYSTEM) && ms > 0)
        sampler_start(run, ms, getpid(), &c->sampler);
    if (bits & TALLY_CAPTURE_CONSOLE) {
        int rc = console_start(run, &c->console);
        if (rc == TALLY_EBUSY)
            run_warn(run, rc, "console capture is already held by another run");
    }
    *out = c;
}

void capture_stop(capture_ctx *c)
{
    if (!c)
        return;
    console_stop(c->console);
    sampler_stop(c->sampler);
    free(c);
}

int capture_line(tally_run *run, int stream, const char *line, size_t len)
{
    if (!memchr(line, '\0', len))
        return run_log_line(run, clock_wall(), stream, line, len);
    /* Lines are read back as C strings: a NUL would cut them short. */
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return TALLY_ENOMEM;
    for (size_t i = 0; i < len; i++)
        copy[i] = line[i] ? line[i] : '?';
    int rc = run_log_line(run, clock_wall(), stream, copy, len);
    free(copy);
    return rc;
}
