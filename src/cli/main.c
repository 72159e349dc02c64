/*
 * main.c — the `tally` command: dispatches to one subcommand per file.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "tally.h"

static const cli_command *const commands[] = {&cmd_demo, &cmd_export, &cmd_ls, &cmd_show};
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
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("tally %s\n", TALLY_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i]->name) == 0)
            return commands[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "tally: unknown command '");
    cli_put_safe(stderr, argv[1]);
    fprintf(stderr, "'\n");
    usage(stderr);
    return CLI_USAGE;
}
