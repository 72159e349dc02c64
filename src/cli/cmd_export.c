/*
 * cmd_export.c — `tally export RUN`: the history, one row per step, as
 * JSON lines (wandb's history format) or CSV.
 *
 * Rows come from the shared history iterator (tally_history_*, in
 * src/store/history.c), which sync uploads too; the JSON-line form is the
 * one sync sends (history_row_json).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/text.h"
#include "store/history.h"

typedef struct exporter {
    tally_history *history;
    int csv, filtered, sanitize;
    buf line;
} exporter;

static void csv_text(exporter *e, const char *s)
{
    buf clean = BUF_INIT;
    if (e->sanitize) {
        text_sanitize(&clean, s, strlen(s), TEXT_KEEP_TAB);
        s = buf_cstr(&clean);
    }
    if (strpbrk(s, ",\"\r\n")) {
        buf_putc(&e->line, '"');
        for (const char *p = s; *p; p++) {
            if (*p == '"')
                buf_putc(&e->line, '"');
            buf_putc(&e->line, *p);
        }
        buf_putc(&e->line, '"');
    } else {
        buf_puts(&e->line, s);
    }
    buf_free(&clean);
}

/* A non-scalar value as a CSV cell: strings bare, other JSON as text. */
static void csv_object(exporter *e, const char *type, const char *json)
{
    if (strcmp(type, "string") == 0) {
        cJSON *v = json_parse(json);
        if (cJSON_IsString(v)) {
            csv_text(e, v->valuestring);
            cJSON_Delete(v);
            return;
        }
        cJSON_Delete(v);
    }
    csv_text(e, json);
}

static void write_header(exporter *e)
{
    size_t n;
    const tally_history_cell *cols = tally_history_columns(e->history, &n);
    buf_puts(&e->line, "_step");
    for (size_t i = 0; i < n; i++) {
        buf_putc(&e->line, ',');
        csv_text(e, cols[i].metric->name);
    }
    buf_putc(&e->line, '\n');
}

static void write_row(exporter *e, const tally_history_row *row)
{
    if (e->csv) {
        buf_printf(&e->line, "%lld", (long long)row->x);
        for (size_t i = 0; i < row->ncells; i++) {
            const tally_history_cell *c = &row->cells[i];
            buf_putc(&e->line, ',');
            if (c->kind == 2)
                csv_object(e, c->type, c->json);
            else if (c->kind == 1)
                buf_json_double(&e->line, c->y);
        }
    } else {
        history_row_json(&e->line, row);
    }
    buf_putc(&e->line, '\n');
}

static int export_rows(exporter *e)
{
    tally_history_row row;
    int rc;
    while ((rc = tally_history_next(e->history, &row)) == 1) {
        if (!row.any && e->filtered)
            continue;
        write_row(e, &row);
        if (e->line.len > 1 << 16) {
            fwrite(e->line.data, 1, e->line.len, stdout);
            buf_reset(&e->line);
        }
    }
    fwrite(e->line.data ? e->line.data : "", 1, e->line.len, stdout);
    buf_reset(&e->line);
    return rc;
}

static int run_export(int argc, char **argv)
{
    const char *root = tally_store_default_root(), *format = "jsonl", *glob = NULL;
    static const struct option longopts[] = {{"dir", required_argument, NULL, 'd'},
                                              {"format", required_argument, NULL, 'f'},
                                              {"metrics", required_argument, NULL, 'm'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:f:m:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': root = optarg; break;
        case 'f': format = optarg; break;
        case 'm': glob = optarg; break;
        case 'h': cli_usage(&cmd_export); return CLI_OK;
        default: return cli_usage(&cmd_export);
        }
    }
    if (optind + 1 != argc || (strcmp(format, "jsonl") != 0 && strcmp(format, "csv") != 0))
        return cli_usage(&cmd_export);

    exporter e = {0};
    e.csv = strcmp(format, "csv") == 0;
    e.filtered = glob != NULL;
    e.sanitize = isatty(STDOUT_FILENO);
    tally_store *st;
    if (cli_open_run(root, argv[optind], &st))
        return CLI_FAIL;
    int rc = tally_history_open(st, TALLY_AXIS_STEP, glob, INT64_MIN, INT64_MAX, &e.history);
    size_t ncols = 0;
    const tally_history_cell *cols = rc ? NULL : tally_history_columns(e.history, &ncols);
    if (!rc && (ncols < 2 || strcmp(cols[0].metric->name, "_timestamp") != 0))
        rc = TALLY_ECORRUPT;
    if (!rc && e.csv)
        write_header(&e);
    if (!rc)
        rc = export_rows(&e);
    tally_history_close(e.history);
    buf_free(&e.line);
    tally_store_close(st);
    if (fflush(stdout) != 0)
        return cli_error("cannot write the export");
    if (rc)
        return cli_error("export failed: %s", tally_strerror(rc));
    return CLI_OK;
}

const cli_command cmd_export = {"export", "[--dir D] [--format jsonl|csv] [--metrics GLOB] RUN",
                                "print a run's history as JSON lines or CSV", run_export};
