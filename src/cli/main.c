/*
 * main.c — the `tally` command: dispatches to one subcommand per file.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tally.h"

static const cli_command *const commands[] = {&cmd_browse, &cmd_demo, &cmd_export, &cmd_login,
                                              &cmd_logs,   &cmd_ls,   &cmd_open,   &cmd_run,
                                              &cmd_show,   &cmd_sync};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *f)
{
    fprintf(f, "usage: tally <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nRUN is a run file path, a run id, or a unique prefix of one.\n"
               "The store root is --dir, else $TALLY_DIR, else ./tally.\n"
               "`tally <command> --help` shows a command's options.\n");
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    /* `tally` on a terminal, and `tally --dir D`: the runs browser. */
    if ((argc < 2 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) ||
        (argc >= 2 && (strcmp(argv[1], "--dir") == 0 || strncmp(argv[1], "--dir=", 6) == 0)))
        return cmd_browse.run(argc, argv);
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        /* No command at all is a usage error: the text goes to stderr. */
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("tally %s\n", TALLY_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[1], commands[i]->name) == 0) {
            /* getopt names the program in its messages: "tally ls: ...". */
            char name[64];
            snprintf(name, sizeof name, "tally %s", commands[i]->name);
            argv[1] = name;
            return commands[i]->run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "tally: unknown command '");
    cli_put_safe(stderr, argv[1]);
    fprintf(stderr, "'\n");
    usage(stderr);
    return CLI_USAGE;
}
