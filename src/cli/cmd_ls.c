/*
 * cmd_ls.c — `tally ls`: the runs under a store root, newest first.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/numfmt.h"

#define SUMMARY_SHOWN 3

static double run_duration(const tally_run_info *in)
{
    switch (in->state) {
    case TALLY_STATE_RUNNING: return clock_wall() - in->start_time;
    case TALLY_STATE_CRASHED: return in->heartbeat - in->start_time;
    default: return in->end_time - in->start_time;
    }
}

/* "loss=0.123 acc=0.9": the first few top-level numeric summary values,
 * losses first since that is what people look for. */
static void summary_line(const char *json, buf *out)
{
    cJSON *root = json_parse(json);
    int shown = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (const cJSON *it = root ? root->child : NULL; it && shown < SUMMARY_SHOWN;
             it = it->next) {
            int lossy = strstr(it->string, "loss") != NULL;
            if (it->string[0] == '_' || lossy != (pass == 0))
                continue;
            const cJSON *v = it;
            if (cJSON_IsObject(v))
                v = cJSON_GetObjectItemCaseSensitive(v, "last") ? cJSON_GetObjectItemCaseSensitive(v, "last") : v->child;
            if (!cJSON_IsNumber(v))
                continue;
            char num[NUMFMT_MAX];
            buf_printf(out, "%s%s=%s", shown ? " " : "", it->string,
                       numfmt_short(num, v->valuedouble, 4));
            shown++;
        }
    }
    cJSON_Delete(root);
}

static void print_json(const tally_run_list *list, unsigned json_flags)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < list->n; i++) {
        const tally_run_info *in = &list->runs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", in->id);
        cJSON_AddStringToObject(o, "project", in->project);
        cJSON_AddStringToObject(o, "name", in->name);
        cJSON_AddStringToObject(o, "state", tally_state_name(in->state));
        cJSON_AddStringToObject(o, "path", in->path);
        cJSON_AddNumberToObject(o, "start_time", in->start_time);
        cJSON_AddNumberToObject(o, "duration", run_duration(in));
        cJSON_AddNumberToObject(o, "rows", (double)in->rows);
        cJSON_AddNumberToObject(o, "last_step", (double)in->last_step);
        if (in->has_exit_code)
            cJSON_AddNumberToObject(o, "exit_code", in->exit_code);
        else
            cJSON_AddNullToObject(o, "exit_code");
        cJSON *summary = json_parse(in->summary_json);
        cJSON_AddItemToObject(o, "summary", summary ? summary : cJSON_CreateObject());
        cJSON_AddItemToArray(arr, o);
    }
    cli_put_json(arr, JSON_PRETTY | json_flags);
    cJSON_Delete(arr);
}

/* The widths of the ID, PROJECT and NAME columns.  On a terminal they are
 * capped (a longer value is cut and ends in "…"); into a pipe or a file
 * nothing is cut: each column is as wide as its widest value. */
enum { COL_ID, COL_PROJECT, COL_NAME, NCOLS };
static void column_widths(const tally_run_list *list, int fit, int width[NCOLS])
{
    static const int cap[NCOLS] = {8, 12, 24};
    static const char *const header[NCOLS] = {"ID", "PROJECT", "NAME"};
    for (int c = 0; c < NCOLS; c++) {
        width[c] = (int)strlen(header[c]);
        if (fit)
            width[c] = cap[c];
    }
    for (size_t i = 0; !fit && i < list->n; i++) {
        const char *v[NCOLS] = {list->runs[i].id, list->runs[i].project, list->runs[i].name};
        for (int c = 0; c < NCOLS; c++) {
            int w = cli_safe_width(v[c]);
            if (w > width[c])
                width[c] = w;
        }
    }
}

static void print_table(const tally_run_list *list, int fit)
{
    int w[NCOLS];
    column_widths(list, fit, w);
    printf("%-*s  %-*s  %-*s  %-8s  %-16s  %-8s  %8s  %s\n", w[COL_ID], "ID", w[COL_PROJECT],
           "PROJECT", w[COL_NAME], "NAME", "STATE", "STARTED", "DURATION", "STEPS", "SUMMARY");
    for (size_t i = 0; i < list->n; i++) {
        const tally_run_info *in = &list->runs[i];
        char started[32], duration[32];
        cli_format_time(started, sizeof started, in->start_time);
        numfmt_duration(duration, sizeof duration, run_duration(in));
        buf summary = BUF_INIT;
        summary_line(in->summary_json, &summary);
        cli_put_cell(stdout, in->id, w[COL_ID]);
        fputs("  ", stdout);
        cli_put_cell(stdout, in->project, w[COL_PROJECT]);
        fputs("  ", stdout);
        cli_put_cell(stdout, in->name, w[COL_NAME]);
        printf("  %-8s  %-16s  %-8s  %8lld  ", tally_state_name(in->state), started, duration,
               (long long)in->rows);
        cli_put_safe(stdout, buf_cstr(&summary));
        fputc('\n', stdout);
        buf_free(&summary);
    }
}

/* One line on stderr for each run file that could not be read, and why. */
static void print_skips(const tally_run_list *list)
{
    for (size_t i = 0; i < list->skipped; i++) {
        const tally_run_skip *sk = &list->skips[i];
        const char *why = cli_open_reason(sk->path, sk->error);
        fputs("tally: skipped: ", stderr);
        cli_put_safe(stderr, sk->path);
        fputs(": ", stderr);
        cli_put_safe(stderr, why);
        fputc('\n', stderr);
    }
}

static const cli_option ls_option_table[] = {
    CLI_OPTION_DIR,
    {"json", 'j', NULL, "one JSON document instead of the table"},
    CLI_OPTION_JSON_NONFINITE,
    CLI_OPTION_HELP,
    {NULL, 0, NULL, NULL}};

static int run_ls(int argc, char **argv)
{
    int json = 0;
    cli_parser parser;
    cli_parser_init(&parser, &cmd_ls);
    int c;
    while ((c = cli_getopt(&parser, argc, argv)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        default: return parser.rc; /* --help, or a bad option */
        }
    }
    const char *root = cli_root(&parser);
    if (optind != argc)
        return cli_usage(&cmd_ls);
    tally_run_list *list;
    int rc = tally_store_list(root, &list);
    if (rc)
        return cli_error("cannot list runs: %s", tally_strerror(rc));
    if (json) {
        print_json(list, parser.json_flags);
    } else if (list->n == 0) {
        fputs("no runs under ", stdout);
        cli_put_safe(stdout, root);
        fputc('\n', stdout);
    } else {
        print_table(list, isatty(STDOUT_FILENO));
    }
    print_skips(list);
    tally_run_list_free(list);
    return CLI_OK;
}

const cli_command cmd_ls = {
    .name = "ls",
    .operands = "",
    .summary = "list runs, newest first",
    .run = run_ls,
    .options = ls_option_table,
};
