/*
 * cmd_export.c — `tally export RUN`: the history, one row per step, as
 * JSON lines (wandb's history format) or CSV.
 *
 * Every committed row has a _timestamp point, so that series drives the
 * rows; one cursor per exported metric walks alongside it, and the cursor
 * over non-scalar values (strings, JSON) joins in by step.  Memory stays
 * flat however long the run.
 */
#include <fnmatch.h>
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

typedef struct column {
    const tally_metric_info *metric;
    tally_points *cursor;
    int has; /* a point is waiting in x, y */
    int64_t x;
    double y;
    int value_set; /* this row has a scalar value */
    const char *json_type; /* this row has a non-scalar value */
    char *json;
} column;

typedef struct exporter {
    tally_store *st;
    column *cols;
    size_t ncols;
    int csv, filtered, sanitize;
    buf line;
} exporter;

/* Advances a column's cursor to step; 1 when it has a point there. */
static int column_at(column *c, int64_t step, int *err)
{
    while (c->has && c->x < step) {
        int rc = tally_points_next(c->cursor, &c->x, &c->y);
        if (rc < 0)
            *err = rc;
        c->has = rc == 1;
    }
    return c->has && c->x == step;
}

static column *column_by_id(exporter *e, int64_t id)
{
    for (size_t i = 0; i < e->ncols; i++)
        if (e->cols[i].metric->id == id)
            return &e->cols[i];
    return NULL;
}

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
    buf_puts(&e->line, "_step");
    for (size_t i = 0; i < e->ncols; i++) {
        buf_putc(&e->line, ',');
        csv_text(e, e->cols[i].metric->name);
    }
    buf_putc(&e->line, '\n');
}

static void write_row(exporter *e, int64_t step)
{
    if (e->csv) {
        buf_printf(&e->line, "%lld", (long long)step);
        for (size_t i = 0; i < e->ncols; i++) {
            column *c = &e->cols[i];
            buf_putc(&e->line, ',');
            if (c->json)
                csv_object(e, c->json_type, c->json);
            else if (c->value_set)
                buf_json_double(&e->line, c->y);
        }
    } else {
        buf_printf(&e->line, "{\"_step\":%lld", (long long)step);
        for (size_t i = 0; i < e->ncols; i++) {
            column *c = &e->cols[i];
            if (!c->json && !c->value_set)
                continue;
            buf_putc(&e->line, ',');
            buf_json_string(&e->line, c->metric->name);
            buf_putc(&e->line, ':');
            if (c->json)
                buf_puts(&e->line, c->json);
            else
                buf_json_double(&e->line, c->y);
        }
        buf_putc(&e->line, '}');
    }
    buf_putc(&e->line, '\n');
}

static int export_rows(exporter *e)
{
    tally_objects *objects = NULL;
    int rc = tally_objects_open(e->st, INT64_MIN, INT64_MAX, &objects);
    tally_object obj;
    int has_obj = rc ? 0 : tally_objects_next(objects, &obj);
    column *ts = &e->cols[0]; /* _timestamp drives the rows */
    int err = 0;
    if (has_obj < 0)
        err = has_obj;
    while (!rc && !err && ts->has) {
        int64_t step = ts->x;
        int any = 0;
        for (size_t i = 0; i < e->ncols; i++) {
            column *c = &e->cols[i];
            c->value_set = column_at(c, step, &err);
            any |= c->value_set && !c->metric->hidden;
            free(c->json);
            c->json = NULL;
        }
        while (has_obj == 1 && obj.x <= step) {
            column *c = obj.x == step ? column_by_id(e, obj.metric_id) : NULL;
            if (c) {
                free(c->json);
                c->json = strdup(obj.json);
                c->json_type = strcmp(obj.type, "string") == 0 ? "string" : "json";
                c->value_set = 0;
                any = 1;
            }
            has_obj = tally_objects_next(objects, &obj);
            if (has_obj < 0)
                err = has_obj;
        }
        if (any || !e->filtered) {
            write_row(e, step);
            if (e->line.len > 1 << 16) {
                fwrite(e->line.data, 1, e->line.len, stdout);
                buf_reset(&e->line);
            }
        }
        int64_t x;
        double y;
        int more = tally_points_next(ts->cursor, &x, &y);
        if (more < 0)
            err = more;
        ts->has = more == 1;
        ts->x = x;
        ts->y = y;
    }
    fwrite(e->line.data ? e->line.data : "", 1, e->line.len, stdout);
    buf_reset(&e->line);
    tally_objects_close(objects);
    return rc ? rc : err;
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
    if (cli_open_run(root, argv[optind], &e.st))
        return CLI_FAIL;
    size_t n = tally_store_metric_count(e.st);
    e.cols = calloc(n + 1, sizeof *e.cols);
    int rc = e.cols ? TALLY_OK : TALLY_ENOMEM;
    /* _timestamp, _runtime first, then the chosen metrics in id order. */
    const char *hidden[] = {"_timestamp", "_runtime"};
    for (int pass = 0; pass < 3 && !rc; pass++) {
        for (size_t i = 0; i < n && !rc; i++) {
            const tally_metric_info *m = tally_store_metric(e.st, i);
            if (m->axis != TALLY_AXIS_STEP)
                continue;
            if (pass < 2 ? strcmp(m->name, hidden[pass]) != 0
                         : (m->hidden || (glob && fnmatch(glob, m->name, 0) != 0)))
                continue;
            column *col = &e.cols[e.ncols++];
            col->metric = m;
            rc = tally_points_open(e.st, m->id, INT64_MIN, INT64_MAX, &col->cursor);
            if (!rc) {
                int more = tally_points_next(col->cursor, &col->x, &col->y);
                col->has = more == 1;
                if (more < 0)
                    rc = more;
            }
        }
    }
    if (!rc && (e.ncols < 2 || strcmp(e.cols[0].metric->name, "_timestamp") != 0))
        rc = TALLY_ECORRUPT;
    if (!rc && e.csv)
        write_header(&e);
    if (!rc)
        rc = export_rows(&e);
    for (size_t i = 0; i < e.ncols; i++) {
        tally_points_close(e.cols[i].cursor);
        free(e.cols[i].json);
    }
    free(e.cols);
    buf_free(&e.line);
    tally_store_close(e.st);
    if (fflush(stdout) != 0)
        return cli_error("cannot write the export");
    if (rc)
        return cli_error("export failed: %s", tally_strerror(rc));
    return CLI_OK;
}

const cli_command cmd_export = {"export", "[--dir D] [--format jsonl|csv] [--metrics GLOB] RUN",
                                "print a run's history as JSON lines or CSV", run_export};
