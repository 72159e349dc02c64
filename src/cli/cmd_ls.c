/*
 * cmd_ls.c — `tally ls`: the runs under a store root, newest first.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

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

static void print_json(const tally_run_list *list)
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
    buf out = BUF_INIT;
    json_write(&out, arr, 1);
    puts(buf_cstr(&out));
    buf_free(&out);
    cJSON_Delete(arr);
}

static void print_table(const tally_run_list *list)
{
    printf("%-8s  %-12s  %-24s  %-8s  %-16s  %-8s  %8s  %s\n", "ID", "PROJECT", "NAME", "STATE",
           "STARTED", "DURATION", "STEPS", "SUMMARY");
    for (size_t i = 0; i < list->n; i++) {
        const tally_run_info *in = &list->runs[i];
        char started[32], duration[32];
        cli_format_time(started, sizeof started, in->start_time);
        numfmt_duration(duration, sizeof duration, run_duration(in));
        buf summary = BUF_INIT;
        summary_line(in->summary_json, &summary);
        cli_put_cell(stdout, in->id, 8);
        fputs("  ", stdout);
        cli_put_cell(stdout, in->project, 12);
        fputs("  ", stdout);
        cli_put_cell(stdout, in->name, 24);
        printf("  %-8s  %-16s  %-8s  %8lld  ", tally_state_name(in->state), started, duration,
               (long long)in->rows);
        cli_put_safe(stdout, buf_cstr(&summary));
        fputc('\n', stdout);
        buf_free(&summary);
    }
}

static int run_ls(int argc, char **argv)
{
    const char *root = tally_store_default_root();
    int json = 0;
    static const struct option longopts[] = {{"dir", required_argument, NULL, 'd'},
                                              {"json", no_argument, NULL, 'j'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:jh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': root = optarg; break;
        case 'j': json = 1; break;
        case 'h': cli_usage(&cmd_ls); return CLI_OK;
        default: return cli_usage(&cmd_ls);
        }
    }
    if (optind != argc)
        return cli_usage(&cmd_ls);
    tally_run_list *list;
    int rc = tally_store_list(root, &list);
    if (rc)
        return cli_error("cannot list runs: %s", tally_strerror(rc));
    if (json)
        print_json(list);
    else if (list->n == 0)
        printf("no runs under %s\n", root);
    else
        print_table(list);
    if (list->skipped)
        fprintf(stderr, "tally: %zu file(s) under %s could not be read\n", list->skipped, root);
    tally_run_list_free(list);
    return CLI_OK;
}

const cli_command cmd_ls = {"ls", "[--dir D] [--json]", "list runs, newest first", run_ls};
