/*
 * cmd_browse.c — `tally browse [--dir D]` (also plain `tally` and
 * `tally --dir D` on a terminal): the dashboard's runs browser.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

static int run_browse(int argc, char **argv)
{
    const char *dir = NULL;
    static const struct option longopts[] = {{"dir", required_argument, NULL, 'd'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (cli_check_dir(optarg))
                return CLI_USAGE;
            dir = optarg;
            break;
        case 'h': cli_usage(&cmd_browse); return CLI_OK;
        default: return cli_usage(&cmd_browse);
        }
    }
    if (optind != argc)
        return cli_usage(&cmd_browse);
    return cli_dashboard(dir ? dir : tally_store_default_root(), NULL, 0);
}

const cli_command cmd_browse = {"browse", "[--dir D]",
                                "the dashboard: browse, open and compare runs (also plain `tally`)",
                                run_browse};
