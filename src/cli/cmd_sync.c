/*
 * cmd_sync.c — `tally sync [RUN... | --all]`: pushes runs to a W&B
 * compatible server through src/sync (sync_session_run), with a progress
 * line on a terminal, plain lines otherwise, and --json for scripts.
 * Ctrl-C stops cleanly: what the server acknowledged is kept.
 */
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/numfmt.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/json.h"
#include "sync/sync.h"

static atomic_int interrupted;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&interrupted, 1);
}

typedef struct progress_view {
    int tty;
    double last;
    int shown; /* a progress line is on screen */
} progress_view;

static void human_bytes(char *out, size_t size, double b)
{
    const char *units[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (b >= 1000 && u < 4) {
        b /= 1000;
        u++;
    }
    snprintf(out, size, u ? "%.1f %s" : "%.0f %s", b, units[u]);
}

static void on_progress(void *ctx, const sync_progress *p)
{
    progress_view *v = ctx;
    double now = clock_wall();
    if (now - v->last < (v->tty ? 0.1 : 5.0) || (!v->tty && p->elapsed < 5.0))
        return;
    v->last = now;
    char bytes[32], eta[32] = "-";
    human_bytes(bytes, sizeof bytes, (double)p->bytes);
    double rate = p->elapsed > 0 ? (double)p->rows_sent / p->elapsed : 0;
    if (rate > 0 && p->rows_total > p->rows_done)
        numfmt_duration(eta, sizeof eta, (double)(p->rows_total - p->rows_done) / rate);
    else if (p->rows_total <= p->rows_done)
        snprintf(eta, sizeof eta, "0s");
    /* The run id comes from the run file: untrusted, like everything in it. */
    if (v->tty) {
        fputs("\r\033[K", stderr);
        cli_put_safe(stderr, p->run_id);
        fprintf(stderr, "  rows %lld/%lld  %s sent  %.0f rows/s  ETA %s",
                (long long)p->rows_done, (long long)p->rows_total, bytes, rate, eta);
        v->shown = 1;
    } else {
        fputs("tally: ", stderr);
        cli_put_safe(stderr, p->run_id);
        fprintf(stderr, ": rows %lld/%lld, %s sent, %.0f rows/s, ETA %s\n",
                (long long)p->rows_done, (long long)p->rows_total, bytes, rate, eta);
    }
    fflush(stderr);
}

static void clear_progress(progress_view *v)
{
    if (v->tty && v->shown)
        fputs("\r\033[K", stderr);
    v->shown = 0;
    v->last = 0;
}

static void print_result(const sync_result *r, int dry_run)
{
    char bytes[32];
    human_bytes(bytes, sizeof bytes, (double)r->bytes);
    cli_put_safe(stdout, r->run_id);
    fputs(" -> ", stdout);
    cli_put_safe(stdout, r->entity);
    putchar('/');
    cli_put_safe(stdout, r->project);
    if (r->up_to_date) {
        printf(": up to date%s\n", r->running ? " (still running)" : "");
        return;
    }
    printf(": %s%lld rows, %lld system samples, %lld console lines, %lld files%s%s",
           dry_run ? "would send " : "", (long long)r->history, (long long)r->events,
           (long long)r->output, (long long)r->files, r->summary ? ", summary" : "",
           r->complete ? ", marked complete" : "");
    if (r->media_damaged)
        printf(", %lld media objects left out (damaged in the run file)",
               (long long)r->media_damaged);
    printf(" (%s, %.1f s%s)\n", bytes, r->seconds, r->running ? ", still running" : "");
}

static void json_result(buf *out, const sync_result *r, const char *path, int rc)
{
    buf_puts(out, "{\"run\":");
    json_string(out, r->run_id[0] ? r->run_id : "");
    buf_puts(out, ",\"path\":");
    json_string(out, path);
    buf_puts(out, ",\"entity\":");
    json_string(out, r->entity);
    buf_puts(out, ",\"project\":");
    json_string(out, r->project);
    buf_printf(out, ",\"ok\":%s,\"up_to_date\":%s,\"running\":%s", rc ? "false" : "true",
               r->up_to_date ? "true" : "false", r->running ? "true" : "false");
    buf_printf(out, ",\"history\":%lld,\"events\":%lld,\"output\":%lld,\"files\":%lld",
               (long long)r->history, (long long)r->events, (long long)r->output,
               (long long)r->files);
    buf_printf(out, ",\"media_damaged\":%lld", (long long)r->media_damaged);
    buf_printf(out, ",\"summary\":%s,\"complete\":%s,\"rows\":%lld,\"rows_synced\":%lld",
               r->summary ? "true" : "false", r->complete ? "true" : "false",
               (long long)r->rows_total, (long long)r->rows_done);
    buf_printf(out, ",\"bytes\":%lld,\"requests\":%lld,\"retries\":%lld,\"seconds\":",
               (long long)r->bytes, (long long)r->requests, (long long)r->retries);
    json_number(out, round(r->seconds * 1000) / 1000, 0);
    if (rc) {
        buf_puts(out, ",\"error\":");
        json_string(out, r->error);
    }
    buf_putc(out, '}');
}

static int add_path(char ***paths, size_t *n, const char *path)
{
    char **v = realloc(*paths, (*n + 1) * sizeof *v);
    if (!v)
        return -1;
    *paths = v;
    v[*n] = strdup(path);
    if (!v[*n])
        return -1;
    (*n)++;
    return 0;
}

static const cli_option sync_option_table[] = {
    {"all", 'a', NULL, "every run under the store root, oldest first"},
    CLI_OPTION_DIR,
    {"entity", 'e', "E", "the W&B entity (default: $WANDB_ENTITY, else the key's default entity)"},
    {"project", 'p', "P", "the W&B project (default: $WANDB_PROJECT, else the run's project)"},
    {"dry-run", 'n', NULL, "count what would be sent; send nothing, store nothing"},
    {"json", 'j', NULL, "one JSON document with a result a run"},
    CLI_OPTION_HELP,
    {NULL, 0, NULL, NULL}};

static int run_sync(int argc, char **argv)
{
    sync_options opts = {0};
    int all = 0, json = 0;
    cli_parser parser;
    cli_parser_init(&parser, &cmd_sync);
    int c;
    while ((c = cli_getopt(&parser, argc, argv)) != -1) {
        switch (c) {
        case 'a': all = 1; break;
        case 'e': opts.entity = optarg; break;
        case 'p': opts.project = optarg; break;
        case 'n': opts.dry_run = 1; break;
        case 'j': json = 1; break;
        default: return parser.rc; /* --help, or a bad option */
        }
    }
    const char *root = cli_root(&parser);
    if (all == (optind < argc))
        return cli_usage(&cmd_sync);

    /* Every run first, so a typo fails before anything is sent. */
    char **paths = NULL;
    size_t npaths = 0;
    int status = CLI_OK;
    if (all) {
        tally_run_list *list = NULL;
        int rc = tally_store_list(root, &list);
        if (rc) {
            fputs("tally: cannot list runs under ", stderr);
            cli_put_safe(stderr, root);
            fprintf(stderr, ": %s\n", tally_strerror(rc));
            return CLI_FAIL;
        }
        for (size_t i = list->n; i-- > 0;) /* oldest first */
            if (add_path(&paths, &npaths, list->runs[i].path) < 0)
                status = cli_error("out of memory");
        tally_run_list_free(list);
    } else {
        for (int i = optind; i < argc && status == CLI_OK; i++) {
            char *path = NULL;
            tally_store *st = NULL;
            if (cli_open_run(root, argv[i], &st)) {
                status = CLI_FAIL;
                break;
            }
            path = strdup(tally_store_info(st)->path);
            tally_store_close(st);
            if (!path || add_path(&paths, &npaths, path) < 0)
                status = cli_error("out of memory");
            free(path);
        }
    }

    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    atomic_store(&interrupted, 0);
    opts.cancel = &interrupted;
    progress_view view = {.tty = isatty(STDERR_FILENO)};
    opts.progress = on_progress;
    opts.progress_ctx = &view;

    sync_session *session = NULL;
    char err[512] = "";
    buf out = BUF_INIT;
    if (status == CLI_OK) {
        int rc = sync_session_new(&opts, &session, err, sizeof err);
        if (rc) {
            status = cli_error("%s", err[0] ? err : sync_strerror(rc));
            if (json)
                buf_printf(&out, "{\"ok\":false,\"error\":\"%s\",\"runs\":[]}",
                           rc == SYNC_ENOKEY ? "no API key" : "cannot start");
        }
    }
    if (session) {
        buf_puts(&out, "{\"runs\":[");
        int failed = 0;
        for (size_t i = 0; i < npaths; i++) {
            sync_result res;
            int rc = sync_session_run(session, paths[i], &res);
            clear_progress(&view);
            if (json) {
                if (i)
                    buf_putc(&out, ',');
                json_result(&out, &res, paths[i], rc);
            }
            if (rc) {
                failed = 1;
                fputs("tally: ", stderr);
                cli_put_safe(stderr, res.run_id[0] ? res.run_id : paths[i]);
                fputs(": ", stderr);
                cli_put_safe(stderr, res.error);
                fputc('\n', stderr);
                /* A refused key or a cancel stops everything; a bad run only itself. */
                if (rc == SYNC_EAUTH || rc == SYNC_ECANCEL || rc == SYNC_ENOKEY ||
                    rc == SYNC_ETLS)
                    break;
            } else if (!json) {
                print_result(&res, opts.dry_run);
            }
        }
        buf_printf(&out, "],\"ok\":%s}", failed ? "false" : "true");
        if (failed)
            status = CLI_FAIL;
        sync_session_free(session);
    }
    if (json && out.len)
        printf("%s\n", buf_cstr(&out));
    buf_free(&out);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    for (size_t i = 0; i < npaths; i++)
        free(paths[i]);
    free(paths);
    if (fflush(stdout) != 0)
        return cli_error("cannot write the result");
    return status;
}

const cli_command cmd_sync = {
    .name = "sync",
    .operands = "RUN... | --all",
    .summary = "push runs to a Weights & Biases compatible server",
    .run = run_sync,
    .options = sync_option_table,
    .details = "The server is $WANDB_BASE_URL (default https://api.wandb.ai); the key is\n"
               "$WANDB_API_KEY, else the netrc entry `tally login` stored.  Exit status 1 when\n"
               "any run failed; what was acknowledged is kept, and the next sync resumes.\n",
};
