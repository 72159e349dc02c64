/*
 * cmd_show.c — `tally show RUN`: everything about one run, its metrics
 * and the keys holding media objects (type, count, step range).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/numfmt.h"

static cJSON *parse_or(const char *json, cJSON *fallback)
{
    cJSON *v = json_parse(json);
    if (v) {
        cJSON_Delete(fallback);
        return v;
    }
    return fallback;
}

static int add_file(void *ctx, const tally_file_info *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", f->path);
    cJSON_AddNumberToObject(o, "size", (double)f->size);
    cJSON_AddItemToArray(ctx, o);
    return 0;
}

/* The whole run as one JSON object (what --json prints). */
static cJSON *run_json(tally_store *st)
{
    const tally_run_info *in = tally_store_info(st);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", in->id);
    cJSON_AddStringToObject(o, "name", in->name);
    cJSON_AddStringToObject(o, "project", in->project);
    cJSON_AddStringToObject(o, "state", tally_state_name(in->state));
    if (in->has_exit_code)
        cJSON_AddNumberToObject(o, "exit_code", in->exit_code);
    else
        cJSON_AddNullToObject(o, "exit_code");
    cJSON_AddStringToObject(o, "path", in->path);
    const char *texts[][2] = {{"group", in->group},   {"job_type", in->job_type},
                              {"notes", in->notes},   {"mode", in->mode},
                              {"host", in->host},     {"user", in->user},
                              {"os", in->os},         {"cwd", in->cwd},
                              {"version", in->version}};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        if (texts[i][1])
            cJSON_AddStringToObject(o, texts[i][0], texts[i][1]);
        else
            cJSON_AddNullToObject(o, texts[i][0]);
    }
    cJSON_AddNumberToObject(o, "pid", (double)in->pid);
    cJSON_AddNumberToObject(o, "start_time", in->start_time);
    cJSON_AddNumberToObject(o, "heartbeat", in->heartbeat);
    if (in->end_time > 0)
        cJSON_AddNumberToObject(o, "end_time", in->end_time);
    else
        cJSON_AddNullToObject(o, "end_time");
    cJSON_AddNumberToObject(o, "rows", (double)in->rows);
    cJSON_AddNumberToObject(o, "dropped", (double)in->dropped);
    cJSON_AddNumberToObject(o, "last_step", (double)in->last_step);
    cJSON_AddNumberToObject(o, "schema_version", in->schema_version);
    cJSON_AddItemToObject(o, "tags", parse_or(in->tags_json, cJSON_CreateArray()));
    cJSON_AddItemToObject(o, "command", parse_or(in->command_json, cJSON_CreateArray()));
    cJSON_AddItemToObject(o, "git", parse_or(in->git_json, cJSON_CreateNull()));

    char *summary = NULL, *config = NULL;
    tally_store_summary(st, &summary);
    tally_store_config(st, &config);
    cJSON_AddItemToObject(o, "summary", parse_or(summary, cJSON_CreateObject()));
    cJSON_AddItemToObject(o, "config", parse_or(config, cJSON_CreateObject()));
    free(summary);
    free(config);

    cJSON *metrics = cJSON_AddArrayToObject(o, "metrics");
    for (size_t i = 0; i < tally_store_metric_count(st); i++) {
        const tally_metric_info *m = tally_store_metric(st, i);
        if (!m->hidden && !m->media)
            cJSON_AddItemToArray(metrics, cJSON_CreateString(m->name));
    }
    cJSON *media = cJSON_AddArrayToObject(o, "media");
    for (size_t i = 0; i < tally_store_media_key_count(st); i++) {
        const tally_media_key *k = tally_store_media_key(st, i);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", k->name);
        cJSON_AddStringToObject(e, "type", tally_media_type_name(k->type));
        cJSON_AddNumberToObject(e, "count", (double)k->count);
        if (k->count > 0) {
            cJSON_AddNumberToObject(e, "first_step", (double)k->first_step);
            cJSON_AddNumberToObject(e, "last_step", (double)k->last_step);
        } else {
            cJSON_AddNullToObject(e, "first_step");
            cJSON_AddNullToObject(e, "last_step");
        }
        cJSON_AddItemToArray(media, e);
    }
    tally_store_files(st, add_file, cJSON_AddArrayToObject(o, "files"));
    return o;
}

/* Prints "  key  value" lines for a JSON object, values compact. */
static void print_object(const char *title, const cJSON *obj)
{
    printf("\n%s\n", title);
    if (!obj || !obj->child) {
        printf("  (none)\n");
        return;
    }
    for (const cJSON *it = obj->child; it; it = it->next) {
        buf value = BUF_INIT;
        json_write(&value, it, JSON_BARE_NONFINITE); /* for people: NaN, not "NaN" */
        fputs("  ", stdout);
        cli_put_cell(stdout, it->string, 28);
        fputs(" ", stdout);
        cli_put_safe(stdout, buf_cstr(&value));
        fputc('\n', stdout);
        buf_free(&value);
    }
}

static void field(const char *label, const char *value)
{
    if (!value || !value[0])
        return;
    printf("  %-10s ", label);
    cli_put_safe(stdout, value);
    fputc('\n', stdout);
}

static void print_text(tally_store *st, const cJSON *o)
{
    const tally_run_info *in = tally_store_info(st);
    char started[32], ended[32], duration[32], line[96];
    cli_format_time(started, sizeof started, in->start_time);
    double end = in->state == TALLY_STATE_RUNNING   ? clock_wall()
                 : in->state == TALLY_STATE_CRASHED ? in->heartbeat
                                                    : in->end_time;
    cli_format_time(ended, sizeof ended, end);
    numfmt_duration(duration, sizeof duration, end - in->start_time);

    fputs("run ", stdout);
    cli_put_safe(stdout, in->name);
    fputs(" (", stdout);
    cli_put_safe(stdout, in->id);
    fputs(")\n", stdout);
    field("project", in->project);
    printf("  %-10s %s", "state", tally_state_name(in->state));
    if (in->has_exit_code)
        printf(" (exit code %d)", in->exit_code);
    if (in->state == TALLY_STATE_CRASHED)
        printf(" (its process died without finishing; last sign of life %s)", ended);
    fputc('\n', stdout);
    printf("  %-10s %s, for %s\n", "started", started, duration);
    snprintf(line, sizeof line, "%lld rows, last step %lld", (long long)in->rows,
             (long long)in->last_step);
    field("history", line);
    if (in->dropped > 0) {
        snprintf(line, sizeof line,
                 "%lld values not stored (the disk did not keep up)",
                 (long long)in->dropped);
        field("dropped", line);
    }
    field("group", in->group);
    field("job type", in->job_type);
    field("notes", in->notes);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(o, "tags");
    if (cJSON_GetArraySize(tags) > 0) {
        char *t = json_print(tags, 0);
        field("tags", t);
        free(t);
    }
    snprintf(line, sizeof line, "%lld", (long long)in->pid);
    field("host", in->host);
    field("pid", line);
    field("user", in->user);
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(o, "command");
    if (cJSON_GetArraySize(cmd) > 0) {
        char *c = json_print(cmd, 0);
        field("command", c);
        free(c);
    }
    field("cwd", in->cwd);
    field("git", in->git_json);
    field("file", in->path);

    print_object("config", cJSON_GetObjectItemCaseSensitive(o, "config"));
    print_object("summary", cJSON_GetObjectItemCaseSensitive(o, "summary"));

    printf("\nmetrics\n");
    size_t shown = 0;
    for (size_t i = 0; i < tally_store_metric_count(st); i++) {
        const tally_metric_info *m = tally_store_metric(st, i);
        if (m->hidden || m->media)
            continue; /* media keys are listed below, with their type */
        if (shown++ == 0)
            printf("  %-28s %10s  %12s %12s %12s\n", "NAME", "POINTS", "LAST", "MIN", "MAX");
        char last[NUMFMT_MAX], lo[NUMFMT_MAX], hi[NUMFMT_MAX];
        fputs("  ", stdout);
        cli_put_cell(stdout, m->name, 28);
        /* A series of strings or media has no numeric point: no last, min
         * or max to show (its statistics are NaN, which would read as a
         * logged NaN). */
        int none = m->n == 0;
        printf(" %10lld  %12s %12s %12s%s\n", (long long)m->n,
               none ? "-" : numfmt_short(last, m->y_last, 6),
               none ? "-" : numfmt_short(lo, m->y_min, 6),
               none ? "-" : numfmt_short(hi, m->y_max, 6),
               m->axis == TALLY_AXIS_TIME ? "  (time axis)" : "");
    }
    if (shown == 0)
        printf("  (none)\n");

    /* Keys holding objects: images, tables, ... (`tally media` writes them). */
    if (tally_store_media_key_count(st) > 0) {
        printf("\nmedia\n  %-28s %-10s %10s  %s\n", "NAME", "TYPE", "OBJECTS", "STEPS");
        for (size_t i = 0; i < tally_store_media_key_count(st); i++) {
            const tally_media_key *k = tally_store_media_key(st, i);
            fputs("  ", stdout);
            cli_put_cell(stdout, k->name, 28);
            printf(" %-10s %10lld  ", tally_media_type_name(k->type), (long long)k->count);
            if (k->count > 0)
                printf("%lld..%lld\n", (long long)k->first_step, (long long)k->last_step);
            else
                printf("-\n");
        }
    }

    const cJSON *files = cJSON_GetObjectItemCaseSensitive(o, "files");
    printf("\nfiles\n");
    if (cJSON_GetArraySize(files) == 0)
        printf("  (none)\n");
    for (const cJSON *f = files ? files->child : NULL; f; f = f->next) {
        fputs("  ", stdout);
        cli_put_cell(stdout, cJSON_GetObjectItemCaseSensitive(f, "path")->valuestring, 40);
        printf(" %lld bytes\n",
               (long long)cJSON_GetObjectItemCaseSensitive(f, "size")->valuedouble);
    }
}

static const cli_option show_option_table[] = {
    CLI_OPTION_DIR,
    {"json", 'j', NULL, "the whole run as one JSON document"},
    CLI_OPTION_JSON_NONFINITE,
    CLI_OPTION_HELP,
    {NULL, 0, NULL, NULL}};

static int run_show(int argc, char **argv)
{
    int json = 0;
    cli_parser parser;
    cli_parser_init(&parser, &cmd_show);
    int c;
    while ((c = cli_getopt(&parser, argc, argv)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        default: return parser.rc; /* --help, or a bad option */
        }
    }
    const char *root = cli_root(&parser);
    if (optind + 1 != argc)
        return cli_usage(&cmd_show);
    tally_store *st;
    if (cli_open_run(root, argv[optind], &st))
        return CLI_FAIL;
    cJSON *o = run_json(st);
    if (json) {
        cli_put_json(o, JSON_PRETTY | parser.json_flags);
    } else {
        print_text(st, o);
    }
    cJSON_Delete(o);
    tally_store_close(st);
    return CLI_OK;
}

const cli_command cmd_show = {
    .name = "show",
    .operands = "RUN",
    .summary = "show everything about a run",
    .run = run_show,
    .options = show_option_table,
};
