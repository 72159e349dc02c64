/*
 * cmd_browse.c — `tally browse [--dir D]` (also plain `tally` and
 * `tally --dir D` on a terminal): the dashboard's runs browser.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

static const cli_option browse_option_table[] = {
    CLI_OPTION_DIR,
    CLI_OPTION_HELP,
    {NULL, 0, NULL, NULL}};

static int run_browse(int argc, char **argv)
{
    cli_parser parser;
    cli_parser_init(&parser, &cmd_browse);
    int c;
    while ((c = cli_getopt(&parser, argc, argv)) != -1) {
        switch (c) {
        default: return parser.rc; /* --help, or a bad option */
        }
    }
    if (optind != argc)
        return cli_usage(&cmd_browse);
    return cli_dashboard(cli_root(&parser), NULL, 0);
}

const cli_command cmd_browse = {
    .name = "browse",
    .operands = "",
    .summary = "the dashboard: browse, open and compare runs (also plain `tally`)",
    .run = run_browse,
    .options = browse_option_table,
    .details = "Needs a terminal.  `?` in the dashboard lists its keys (see also tally(1)).\n",
};
