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
                                              &cmd_logs,   &cmd_ls,   &cmd_media,  &cmd_open,
                                              &cmd_run,    &cmd_show, &cmd_sync};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, commands[i]->name) == 0)
            return commands[i];
    return NULL;
}

/* `tally --help`: every command, the options of `tally` itself, and where
 * runs are found. */
static int help(void)
{
    printf("usage: tally [--dir D]\n"
           "       tally <command> [options] [arguments]\n\n"
           "Track ML training runs from the terminal.  Plain `tally` on a terminal opens\n"
           "the dashboard.\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-8s %s\n", commands[i]->name, commands[i]->summary);
    printf("\noptions:\n"
           "  -h, --help     print this help and exit\n"
           "      --version  print tally's version and exit\n"
           "      --dir D    open the dashboard on the store root D\n"
           "\nRUN is a run file path, a run id, or a unique prefix of one.\n"
           "The store root is --dir, else $TALLY_DIR, else ./tally.\n"
           "`tally <command> --help` (or `tally help <command>`) shows a command's options;\n"
           "tally(1) and libtally(3) are the manuals.\n");
    return fflush(stdout) == 0 && !ferror(stdout) ? CLI_OK : CLI_FAIL;
}

/* Bad usage of `tally` itself: a short reminder on stderr, exit 2. */
static int usage_error(void)
{
    fprintf(stderr, "usage: tally <command> [options] [arguments]\n"
                    "`tally --help` lists the commands.\n");
    return CLI_USAGE;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    /* The terminal's character set, but numbers read and written as C
     * writes them: "0.5" is a half in a German locale too (strtod, printf). */
    setlocale(LC_NUMERIC, "C");
    /* `tally` on a terminal, and `tally --dir D`: the runs browser. */
    if ((argc < 2 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) ||
        (argc >= 2 && (strcmp(argv[1], "--dir") == 0 || strncmp(argv[1], "--dir=", 6) == 0)))
        return cmd_browse.run(argc, argv);
    if (argc < 2)
        return usage_error();
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return help();
    if (strcmp(argv[1], "help") == 0) {
        if (argc == 2)
            return help();
        const cli_command *cmd = find_command(argv[2]);
        if (cmd && argc == 3)
            return cli_help(cmd);
    } else if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("tally %s\n", TALLY_VERSION);
        return CLI_OK;
    } else {
        const cli_command *cmd = find_command(argv[1]);
        if (cmd) {
            /* getopt names the program in its messages: "tally ls: ...". */
            char name[64];
            snprintf(name, sizeof name, "tally %s", cmd->name);
            argv[1] = name;
            return cmd->run(argc - 1, argv + 1);
        }
    }
    const char *what = strcmp(argv[1], "help") == 0 && argc > 2 ? argv[2] : argv[1];
    fputs(what[0] == '-' ? "tally: unknown option '" : "tally: unknown command '", stderr);
    cli_put_safe(stderr, what);
    fputs("'\n", stderr);
    return usage_error();
}
