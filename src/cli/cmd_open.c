/*
 * cmd_open.c — `tally open RUN [--view TAB]`: the dashboard on one run
 * (charts, summary, system, logs or media tab first).  Esc goes back to the runs
 * browser of the store root.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tui/tui.h"

int cli_tab_of(const char *name, int *tab)
{
    static const char *const names[TAB_COUNT] = {"charts", "summary", "system", "logs", "media"};
    for (int i = 0; i < TAB_COUNT; i++)
        if (strcmp(name, names[i]) == 0) {
            *tab = i;
            return 0;
        }
    return -1;
}

int cli_dashboard(const char *root, const char *run_path, int tab)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return cli_error("the dashboard needs a terminal (try `tally ls` or `tally show`)");
    tui_app *app = tui_app_new(root);
    if (!app)
        return cli_error("out of memory");
    if (run_path) {
        int rc = tui_open_run(app, run_path, (tui_tab)tab);
        if (rc) {
            tui_app_free(app);
            return cli_error("cannot read the run: %s", tally_strerror(rc));
        }
    }
    int rc = tui_main(app);
    tui_app_free(app);
    return rc ? cli_error("cannot start the terminal interface") : CLI_OK;
}

static const cli_option open_option_table[] = {
    CLI_OPTION_DIR,
    {"view", 'v', "TAB", "the tab to open on: charts (default), summary, system, logs or media"},
    CLI_OPTION_HELP,
    {NULL, 0, NULL, NULL}};

static int run_open(int argc, char **argv)
{
    const char *view = "charts";
    cli_parser parser;
    cli_parser_init(&parser, &cmd_open);
    int c;
    while ((c = cli_getopt(&parser, argc, argv)) != -1) {
        switch (c) {
        case 'v': view = optarg; break;
        default: return parser.rc; /* --help, or a bad option */
        }
    }
    int tab;
    if (optind + 1 != argc || cli_tab_of(view, &tab) != 0)
        return cli_usage(&cmd_open);
    const char *root = cli_root(&parser);
    tally_store *st;
    if (cli_open_run(root, argv[optind], &st) != CLI_OK)
        return CLI_FAIL;
    char *path = strdup(tally_store_info(st)->path);
    tally_store_close(st);
    if (!path)
        return cli_error("out of memory");
    /* A run given by path: Esc browses the store it lives in
     * (<root>/<project>/<file>), not the default one. */
    char *derived = NULL;
    if (!parser.dir && strchr(argv[optind], '/')) {
        derived = strdup(path);
        int up = 0;
        for (; derived && up < 2; up++) {
            char *slash = strrchr(derived, '/');
            if (!slash)
                break;
            *slash = 0;
        }
        if (derived && (up < 2 || !*derived)) {
            free(derived);
            derived = strdup(up < 2 ? "." : "/");
        }
        if (derived)
            root = derived;
    }
    int rc = cli_dashboard(root, path, tab);
    free(derived);
    free(path);
    return rc;
}

const cli_command cmd_open = {
    .name = "open",
    .operands = "RUN",
    .summary = "open the dashboard on one run",
    .run = run_open,
    .options = open_option_table,
    .details = "Needs a terminal.\n",
};
