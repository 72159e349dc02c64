/*
 * benchutil.c — the run the export and sync benchmarks read (benchutil.h).
 */
#include "benchutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tally.h"

char *bench_write_run(const char *dir, long steps, int int_series)
{
    char keys[BENCH_METRICS][32];
    for (int m = 0; m < BENCH_METRICS; m++)
        snprintf(keys[m], sizeof keys[m], m < int_series ? "count%02d" : "layer%02d/loss", m);
    tally_options o = {.dir = dir, .project = "bench", .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    tally_run *run;
    if (tally_init_ex(&o, &run))
        return NULL;
    unsigned long long rng = 1;
    for (long s = 0; s < steps; s++) {
        for (int m = 0; m < BENCH_METRICS; m++) {
            if (m < int_series) {
                tally_log_int(run, keys[m], m % 2 ? s % 977 : s * 32);
                continue;
            }
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            double noise = (double)(rng >> 11) / 9007199254740992.0 - 0.5;
            tally_log(run, keys[m], (1.0 + m) * exp(-(double)s / 30000.0) + 0.01 * noise);
        }
        tally_commit(run);
    }
    char *path = strdup(tally_run_path(run));
    tally_finish(run, 0);
    return path;
}
