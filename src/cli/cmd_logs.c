/*
 * cmd_logs.c — `tally logs RUN [--follow] [--stderr] [--raw] [--json]`: the
 * console lines a run captured, oldest first.  stderr lines are prefixed
 * "! " (or only they are shown, with --stderr); every line is neutralised
 * with text_sanitize() unless --raw.  --json writes one JSON object a line
 * instead ({"line":N,"time":T,"stream":"stdout"|"stderr","text":"..."}).
 * --follow tails a live run until it ends.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/text.h"

#define LOGS_POLL_MS 250

typedef struct printer {
    int only_stderr, raw, ascii, json;
    int64_t last_seq;
    buf line;
} printer;

static int print_line(void *ctx, const tally_log_line *l)
{
    printer *p = ctx;
    p->last_seq = l->seq;
    if (p->only_stderr && l->stream != 2)
        return 0;
    buf_reset(&p->line);
    if (p->json) {
        buf_printf(&p->line, "{\"line\":%lld,\"time\":", (long long)l->seq);
        json_number(&p->line, l->t, 0);
        buf_puts(&p->line, l->stream == 2 ? ",\"stream\":\"stderr\",\"text\":"
                                          : ",\"stream\":\"stdout\",\"text\":");
        json_string(&p->line, l->text);
        buf_puts(&p->line, "}\n");
        fwrite(p->line.data, 1, p->line.len, stdout);
        return 0;
    }
    if (!p->only_stderr)
        buf_puts(&p->line, l->stream == 2 ? "! " : "  ");
    if (p->raw)
        buf_puts(&p->line, l->text);
    else
        text_sanitize(&p->line, l->text, strlen(l->text),
                      TEXT_KEEP_TAB | (p->ascii ? TEXT_ASCII : 0));
    buf_putc(&p->line, '\n');
    fwrite(p->line.data, 1, p->line.len, stdout);
    return 0;
}

static const cli_option logs_option_table[] = {
    CLI_OPTION_DIR,
    {"follow", 'f', NULL, "keep printing new lines while the run is running"},
    {"stderr", 'E', NULL, "only the lines the program wrote to stderr, without the \"! \" mark"},
    {"raw", 'r', NULL, "the exact bytes, escape sequences included (default: neutralised)"},
    {"json", 'j', NULL, "one JSON object a line instead of text"},
    CLI_OPTION_HELP,
    {NULL, 0, NULL, NULL}};

static int run_logs(int argc, char **argv)
{
    int follow = 0;
    printer p = {.last_seq = 0};
    cli_parser parser;
    cli_parser_init(&parser, &cmd_logs);
    int c;
    while ((c = cli_getopt(&parser, argc, argv)) != -1) {
        switch (c) {
        case 'f': follow = 1; break;
        case 'E': p.only_stderr = 1; break;
        case 'r': p.raw = 1; break;
        case 'j': p.json = 1; break;
        default: return parser.rc; /* --help, or a bad option */
        }
    }
    const char *root = cli_root(&parser);
    if (optind + 1 != argc)
        return cli_usage(&cmd_logs);
    if (p.raw && p.json) {
        fprintf(stderr, "tally: --raw is for text output (--json always escapes)\n");
        return CLI_USAGE;
    }
    p.ascii = !cli_utf8();
    tally_store *st;
    if (cli_open_run(root, argv[optind], &st))
        return CLI_FAIL;
    int rc = tally_store_logs(st, 0, 0, print_line, &p);
    while (!rc && follow && tally_store_info(st)->state == TALLY_STATE_RUNNING) {
        fflush(stdout);
        struct timespec ts = {0, LOGS_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
        int changed = 0;
        rc = tally_store_refresh(st, &changed);
        if (!rc && changed)
            rc = tally_store_logs(st, p.last_seq, 0, print_line, &p);
    }
    /* The lines written between the last read and the end of the run. */
    if (!rc && follow)
        rc = tally_store_logs(st, p.last_seq, 0, print_line, &p);
    buf_free(&p.line);
    tally_store_close(st);
    if (rc)
        return cli_error("cannot read the logs: %s", tally_strerror(rc));
    return CLI_OK;
}

const cli_command cmd_logs = {
    .name = "logs",
    .operands = "RUN",
    .summary = "print a run's captured console output",
    .run = run_logs,
    .options = logs_option_table,
    .details = "Lines the program wrote to stderr are marked \"! \".  --json writes one object a\n"
               "line: {\"line\":N,\"time\":T,\"stream\":\"stdout\"|\"stderr\",\"text\":\"...\"}.\n",
};
