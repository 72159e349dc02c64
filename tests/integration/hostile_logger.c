/*
 * hostile_logger.c — a run full of terminal escape sequences, for
 * terminal.sh.  Everything the API lets through carries them: the run
 * name, notes, group, tags, config values, string values, the saved file's
 * name, the command line (the script passes them in argv) and the working
 * directory (the script runs it from such a directory).  Keys with control
 * characters must be refused; the script then writes such keys straight
 * into the file, as a foreign or damaged writer could.  It also logs what
 * strict JSON and spreadsheets trip on (strict_output.sh): NaN and the
 * infinities as values, summary and config, and string cells that look
 * like spreadsheet formulas, a negative number, or need CSV quoting.
 *
 * usage: hostile_logger DIR FILE_TO_SAVE [ANY ARGS...]
 */
#include <math.h>
#include <stdio.h>

#include "tally.h"

/* Cells a spreadsheet would evaluate, one a step. */
static const char *const formulas[] = {"=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)",
                                       "\tindented"};

#define EVIL "\033]0;pwned\007\033[2J\033[31m\r\b\x7f\xc2\x9b" "1m\xe2\x80\xae"

static int failures;

static void expect(int got, int want, const char *what)
{
    if (got != want) {
        fprintf(stderr, "hostile_logger: %s: got %d (%s), want %d\n", what, got,
                tally_strerror(got), want);
        failures++;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: hostile_logger DIR FILE_TO_SAVE [ARGS...]\n");
        return 2;
    }
    const char *tags[] = {"ok", "blink\033[5m" EVIL, NULL};
    tally_options opts = {
        .dir = argv[1],
        .project = "hostile",
        .name = "name" EVIL,
        .group = "group" EVIL,
        .job_type = "job" EVIL,
        .notes = "notes" EVIL "\nsecond line",
        .tags = tags,
        .config_json = "{\"opt\":\"\\u001b]0;pwned\\u0007\",\"k\":\"\\u001b[2J\\b\\u009b\\u202e\","
                       "\"nan\":NaN,\"inf\":[Infinity,-Infinity]}",
        .sample_ms = -1,
        .capture = TALLY_CAPTURE_ENV | TALLY_CAPTURE_GIT,
    };
    tally_run *run;
    int rc = tally_init_ex(&opts, &run);
    if (rc) {
        fprintf(stderr, "hostile_logger: tally_init: %s\n", tally_strerror(rc));
        return 1;
    }
    printf("run %s %s\n", tally_run_id(run), tally_run_path(run));
    expect(tally_log(run, "\033[2Jloss", 1.0), TALLY_EKEY, "metric key with ESC");
    expect(tally_log(run, "bell\007", 1.0), TALLY_EKEY, "metric key with BEL");
    expect(tally_config_set(run, "\033]0;x\007", "1"), TALLY_EKEY, "config key with ESC");
    expect(tally_log_json(run, "{\"a\":{\"\\u001b[2J\":1}}"), TALLY_EKEY, "nested key with ESC");
    expect(tally_config_set(run, "evil", "\"" "\\u001b[2J\\u001b]0;pwned\\u0007" "\""), 0,
           "config value with ESC");
    expect(tally_save_file(run, argv[2]), 0, "save_file");
    for (int step = 0; step < 5; step++) {
        expect(tally_log(run, "loss", 1.0 / (step + 1)), 0, "log loss");
        expect(tally_log(run, "acc", step / 10.0), 0, "log acc");
        expect(tally_log_str(run, "text", "text" EVIL), 0, "log_str");
        expect(tally_log(run, "edge/all_nan", NAN), 0, "log NaN");
        expect(tally_log(run, "edge/inf", step % 2 ? -INFINITY : INFINITY), 0, "log inf");
        expect(tally_log_str(run, "cell/formula", formulas[step]), 0, "log formula");
        expect(tally_log_str(run, "cell/negative", "-1.5"), 0, "log negative number");
        expect(tally_log_str(run, "cell/quoted", "a,\"b\"\nc"), 0, "log quoted");
        expect(tally_log_str(run, "cell/osc52", "\033]52;c;cHduZWQ=\007"), 0, "log OSC 52");
        expect(tally_commit(run), 0, "commit");
    }
    expect(tally_summary_set(run, "edge/best", NAN), 0, "summary NaN");
    expect(tally_finish(run, 0), 0, "finish");
    return failures ? 1 : 0;
}
