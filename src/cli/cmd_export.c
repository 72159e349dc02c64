/*
 * cmd_export.c — `tally export RUN`: the history, one row per step, as
 * JSON lines (wandb's history format) or CSV.
 *
 * Rows come from the shared history iterator (tally_history_*, in
 * src/store/history.c), which sync uploads too; the JSON-line form is the
 * one sync sends (history_row_json), strict JSON unless
 * --json-nonfinite=bare.  CSV is safe to open in a spreadsheet and to show
 * on a terminal unless --raw.  --metrics matching only system metrics
 * exports the time axis, with _timestamp and _runtime as its x columns.
 */
#include <fnmatch.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/numfmt.h"
#include "common/text.h"
#include "store/history.h"

typedef struct exporter {
    tally_history *history;
    tally_axis axis;
    double start_time; /* the run's, for the time axis's _timestamp */
    int csv, filtered, raw;
    unsigned json_flags;
    buf line;
} exporter;

/* 1 when s is a decimal number ("-1", "-0.5e3"): a cell a spreadsheet
 * reads as a number, not a formula, though it starts with '-'. */
static int csv_is_number(const char *s)
{
    const char *p = s + (*s == '-' || *s == '+');
    size_t whole = strspn(p, "0123456789"), frac = 0;
    p += whole;
    if (*p == '.') {
        frac = strspn(p + 1, "0123456789");
        p += 1 + frac;
    }
    if (whole + frac == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p += 1 + (p[1] == '-' || p[1] == '+');
        size_t exp = strspn(p, "0123456789");
        if (exp == 0)
            return 0;
        p += exp;
    }
    return *p == '\0';
}

/* One CSV cell of text.  Unless --raw: control characters, escape
 * sequences, bidi controls and malformed UTF-8 are neutralised (tabs and
 * line feeds kept), and a cell a spreadsheet would evaluate as a formula
 * gets a leading "'".  Quoted as RFC 4180 says when it holds a comma,
 * quote, CR or LF, and always when prefixed. */
static void csv_text(exporter *e, const char *s)
{
    buf clean = BUF_INIT;
    int formula = 0;
    if (!e->raw) {
        text_sanitize(&clean, s, strlen(s), TEXT_KEEP_TAB | TEXT_KEEP_NL);
        s = buf_cstr(&clean);
        formula = s[0] && strchr("=+-@\t\r", s[0]) && !(s[0] == '-' && csv_is_number(s));
    }
    if (formula || strpbrk(s, ",\"\r\n")) {
        buf_putc(&e->line, '"');
        if (formula)
            buf_putc(&e->line, '\'');
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

/* A non-scalar value as a CSV cell: strings bare, other JSON as its text. */
static void csv_object(exporter *e, const char *type, const char *json)
{
    cJSON *v = strcmp(type, "string") == 0 ? json_parse(json) : NULL;
    if (cJSON_IsString(v)) {
        csv_text(e, v->valuestring);
    } else {
        buf text = BUF_INIT;
        json_text(&text, json, e->json_flags);
        csv_text(e, buf_cstr(&text));
        buf_free(&text);
    }
    cJSON_Delete(v);
}

static void write_header(exporter *e)
{
    size_t n;
    const tally_history_cell *cols = tally_history_columns(e->history, &n);
    buf_puts(&e->line, e->axis == TALLY_AXIS_TIME ? "_timestamp,_runtime" : "_step");
    for (size_t i = 0; i < n; i++) {
        buf_putc(&e->line, ',');
        csv_text(e, cols[i].metric->name);
    }
    buf_putc(&e->line, '\n');
}

/* A time-axis row (x: ms since the run started) as JSON: the sample's own
 * x columns, _timestamp (Unix seconds) and _runtime (seconds), then its
 * values. */
static void time_row_json(exporter *e, const tally_history_row *row)
{
    double runtime = (double)row->x / 1000.0;
    buf_puts(&e->line, "{\"_timestamp\":");
    json_number(&e->line, e->start_time + runtime, e->json_flags);
    buf_puts(&e->line, ",\"_runtime\":");
    json_number(&e->line, runtime, e->json_flags);
    for (size_t i = 0; i < row->ncells; i++) {
        const tally_history_cell *c = &row->cells[i];
        if (c->kind != 1)
            continue;
        buf_putc(&e->line, ',');
        json_string(&e->line, c->metric->name);
        buf_putc(&e->line, ':');
        json_number(&e->line, c->y, e->json_flags);
    }
    buf_putc(&e->line, '}');
}

static void write_row(exporter *e, const tally_history_row *row)
{
    char num[NUMFMT_MAX];
    if (e->csv) {
        if (e->axis == TALLY_AXIS_TIME) {
            double runtime = (double)row->x / 1000.0;
            buf_puts(&e->line, numfmt_double(num, e->start_time + runtime));
            buf_putc(&e->line, ',');
            buf_puts(&e->line, numfmt_double(num, runtime));
        } else {
            buf_puts(&e->line, numfmt_int(num, row->x));
        }
        for (size_t i = 0; i < row->ncells; i++) {
            const tally_history_cell *c = &row->cells[i];
            buf_putc(&e->line, ',');
            if (c->kind == 2)
                csv_object(e, c->type, c->json);
            else if (c->kind == 1)
                buf_append(&e->line, num, numfmt_double_len(num, c->y));
        }
    } else if (e->axis == TALLY_AXIS_TIME) {
        time_row_json(e, row);
    } else {
        history_row_json(&e->line, e->history, row, e->json_flags);
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

/* The axis to export: the step axis, unless GLOB (every series, without
 * one) matches only time-axis series (system metrics), which have no
 * steps.  When a GLOB matches both, the step axis wins and one line says
 * what was left out; without one, the step axis is simply the default. */
static tally_axis pick_axis(tally_store *st, const char *glob)
{
    size_t steps = 0, times = 0;
    for (size_t i = 0; i < tally_store_metric_count(st); i++) {
        const tally_metric_info *m = tally_store_metric(st, i);
        if (m->hidden || (glob && fnmatch(glob, m->name, 0) != 0))
            continue;
        if (m->axis == TALLY_AXIS_TIME)
            times++;
        else
            steps++;
    }
    if (times && !steps)
        return TALLY_AXIS_TIME;
    if (glob && !steps) {
        fputs("tally: no metric matches '", stderr);
        cli_put_safe(stderr, glob);
        fputs("'\n", stderr);
    }
    if (glob && times)
        fprintf(stderr,
                "tally: %zu time-axis series (system metrics) also match and are not in this "
                "export; a glob that matches only them exports them (e.g. 'system.*')\n",
                times);
    return TALLY_AXIS_STEP;
}

static const cli_option export_option_table[] = {
    CLI_OPTION_DIR,
    {"format", 'f', "F", "jsonl (default: one JSON object a row) or csv (a header, then one line a row)"},
    {"metrics", 'm', "GLOB", "only the metrics whose names match the shell pattern GLOB; one that "
                             "matches only system metrics exports those, on their time axis"},
    {"raw", 'r', NULL, "CSV: the exact bytes, no neutralising of control characters and no "
                       "prefix for formula-like cells"},
    CLI_OPTION_JSON_NONFINITE,
    CLI_OPTION_HELP,
    {NULL, 0, NULL, NULL}};


static int run_export(int argc, char **argv)
{
    const char *format = "jsonl", *glob = NULL;
    exporter e = {0};
    cli_parser parser;
    cli_parser_init(&parser, &cmd_export);
    int c;
    while ((c = cli_getopt(&parser, argc, argv)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 'm': glob = optarg; break;
        case 'r': e.raw = 1; break;
        default: return parser.rc; /* --help, or a bad option */
        }
    }
    const char *root = cli_root(&parser);
    e.json_flags = parser.json_flags;
    if (optind + 1 != argc || (strcmp(format, "jsonl") != 0 && strcmp(format, "csv") != 0))
        return cli_usage(&cmd_export);
    e.csv = strcmp(format, "csv") == 0;
    if (e.raw && !e.csv) {
        fprintf(stderr, "tally: --raw is for --format csv (JSON lines always escape)\n");
        return CLI_USAGE;
    }
    e.filtered = glob != NULL;
    tally_store *st;
    if (cli_open_run(root, argv[optind], &st))
        return CLI_FAIL;
    e.axis = pick_axis(st, glob);
    e.start_time = tally_store_info(st)->start_time;
    int rc = tally_history_open(st, e.axis, glob, INT64_MIN, INT64_MAX, &e.history);
    size_t ncols = 0;
    const tally_history_cell *cols = rc ? NULL : tally_history_columns(e.history, &ncols);
    /* A run killed before its first flush holds no metric yet, not even
     * _timestamp: its history is empty, not damaged. */
    int empty = !rc && ncols == 0 && tally_store_info(st)->rows == 0;
    if (!rc && !empty && e.axis == TALLY_AXIS_STEP &&
        (ncols < 2 || strcmp(cols[0].metric->name, "_timestamp") != 0))
        rc = TALLY_ECORRUPT;
    if (!rc && e.csv)
        write_header(&e);
    if (!rc)
        rc = export_rows(&e);
    tally_history_close(e.history);
    buf_free(&e.line);
    int damaged = cli_report_damage(st);
    tally_store_close(st);
    if (fflush(stdout) != 0)
        return cli_error("cannot write the export");
    if (rc)
        return cli_error("export failed: %s", tally_strerror(rc));
    return damaged;
}

const cli_command cmd_export = {
    .name = "export",
    .operands = "RUN",
    .summary = "print a run's history as JSON lines or CSV",
    .run = run_export,
    .options = export_option_table,
    .details = "RUN is a run file path, a run id, or a unique prefix of one.  Every chunk is\n"
               "checked against its checksum: a damaged one is left out, named on stderr\n"
               "(metric and steps), and the exit status is then 1.\n",
};
