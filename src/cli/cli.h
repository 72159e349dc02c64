/*
 * cli.h — what the `tally` subcommands share: the command table entry,
 * argument helpers, opening a RUN argument, and terminal-safe printing.
 * One subcommand a file (cmd_<name>.c), each exporting one cli_command.
 */
#ifndef TALLY_CLI_H
#define TALLY_CLI_H

#include <getopt.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "tally_store.h"

/* One option of a subcommand.  A command's table is the single source of
 * both its parser (cli_getopt) and its help (cli_help), so the two cannot
 * disagree. */
typedef struct cli_option {
    const char *name; /* the long name, without "--" */
    int key;          /* what cli_getopt returns for it; a letter or digit is also the short
                         option, CLI_LONG_ONLY and up have none */
    const char *arg;  /* the argument's name in the help ("D"); NULL: a flag */
    const char *help; /* one line */
} cli_option;

/* Every command takes --dir the same way, and --help. */
#define CLI_OPTION_DIR {"dir", 'd', "D", "the store root (default: $TALLY_DIR, else ./tally)"}
#define CLI_OPTION_HELP {"help", 'h', NULL, "print this help and exit"}
#define CLI_MAX_OPTIONS 16
/* Keys: a command's options without a short one count from CLI_LONG_ONLY;
 * the shared ones cli_getopt acts on ('d', 'h' and CLI_SHARED up) are no
 * command's to reuse. */
enum { CLI_LONG_ONLY = 256, CLI_SHARED = 1024 };

/* cli_command.flags */
enum {
    CLI_OPERANDS_FIRST = 1, /* options end at the first operand */
    CLI_MAKES_STORE = 2,    /* --dir may name a store root not made yet */
};

typedef struct cli_command {
    const char *name;
    const char *operands; /* what follows the options in the synopsis ("RUN"), or "" */
    const char *summary;  /* one line for `tally help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name; returns the exit code */
    const cli_option *options;         /* ends with {NULL} */
    const char *details;               /* more for --help (operands, values), or NULL */
    unsigned flags;
} cli_command;

/* getopt_long over cmd's option table.  cli_getopt returns the key of the
 * next option for the command to act on, or -1 after the last.  The options
 * every command shares it acts on itself: --dir (its argument goes to
 * p->dir, checked to be a directory unless the command has CLI_MAKES_STORE),
 * --json-nonfinite (into p->json_flags) and --help (printed).  After --help,
 * an unknown option, a bad --dir or a bad --json-nonfinite it returns
 * CLI_STOP with the exit code in p->rc: cli_help's after --help (CLI_OK, or
 * CLI_FAIL when stdout failed), else CLI_USAGE (why was printed).  So a
 * command's switch ends with `default: return parser.rc;`. */
typedef struct cli_parser {
    struct option longopts[CLI_MAX_OPTIONS + 1];
    char shortopts[3 * CLI_MAX_OPTIONS + 2];
    const cli_command *cmd;
    const char *dir;     /* --dir, or NULL */
    unsigned json_flags; /* --json-nonfinite's, for the JSON writer */
    int rc;
} cli_parser;
enum { CLI_STOP = -2 };
void cli_parser_init(cli_parser *p, const cli_command *cmd);
int cli_getopt(cli_parser *p, int argc, char **argv);
/* The store root: --dir, else $TALLY_DIR, else ./tally. */
const char *cli_root(const cli_parser *p);

extern const cli_command cmd_demo, cmd_export, cmd_ls, cmd_media, cmd_show;
extern const cli_command cmd_browse, cmd_open;

/* The dashboard (cmd_open.c): the runs browser of root, or run_path open
 * on tab (0 charts, 1 summary, 2 system, 3 logs).  Needs a terminal. */
int cli_dashboard(const char *root, const char *run_path, int tab);
/* "charts" ... "logs" to a tab number; -1 when unknown. */
int cli_tab_of(const char *name, int *tab);
extern const cli_command cmd_login, cmd_sync;
extern const cli_command cmd_run, cmd_logs; /* src/capture's commands */

/* Exit codes. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "tally: <message>" on stderr; returns CLI_FAIL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Bad usage: the synopsis and where to find more, on stderr; returns CLI_USAGE. */
int cli_usage(const cli_command *cmd);
/* --help: the synopsis, the summary, every option with its description and
 * the details, on stdout; returns CLI_OK (CLI_FAIL when stdout fails). */
int cli_help(const cli_command *cmd);
/* The synopsis line, "usage: tally NAME [options] OPERANDS". */
void cli_synopsis(FILE *f, const cli_command *cmd);

/* Checks a --dir argument: a store root a command reads must exist and be
 * a directory.  Returns 0, or prints why not and returns CLI_USAGE. */
int cli_check_dir(const char *dir);

/* The option every command with JSON output takes, --json-nonfinite=MODE:
 * "string" (the default: "NaN", "Infinity", "-Infinity", strict JSON) or
 * "bare" (wandb's bare tokens).  Sets *json_flags for the writer
 * (common/json.h); returns 0, or prints why not and returns CLI_USAGE. */
#define CLI_JSON_NONFINITE_OPT (CLI_SHARED + 0)
#define CLI_OPTION_JSON_NONFINITE                                                               \
    {"json-nonfinite", CLI_JSON_NONFINITE_OPT, "MODE",                                        \
     "NaN and infinities in JSON: string (the default: \"NaN\", \"Infinity\", \"-Infinity\", "    \
     "strict JSON) or bare (wandb's bare tokens)"}
int cli_json_nonfinite(const char *mode, unsigned *json_flags);

/* Writes one JSON document (the writer's output) and a newline to stdout. */
void cli_put_json(const cJSON *v, unsigned json_flags);

/* Resolves RUN (path, id or id prefix) under root and opens it, printing
 * one clear line on failure.  Returns 0 or CLI_FAIL. */
int cli_open_run(const char *root, const char *run, tally_store **out);

/* Names each damaged chunk, batch, object or file the reads on st had to
 * leave out (its metric and the steps it covers) on stderr; CLI_FAIL when
 * there was one, so that a script notices the output is not the whole run. */
int cli_report_damage(tally_store *st);

/* Writes untrusted text with control and escape sequences neutralised
 * (TEXT_ASCII when stdout's locale is not UTF-8). */
void cli_put_safe(FILE *f, const char *s);
/* The same, padded to width display columns.  When it is wider and f is a
 * terminal it is cut to them, with a trailing "…" ("~" when the locale is
 * not UTF-8); into a pipe or a file it is written whole. */
void cli_put_cell(FILE *f, const char *s, int width);
/* Why the run file at path could not be opened, given tally_store_open's
 * code: the system's reason when the file cannot be read at all (a
 * chmod 000 file, a directory without search permission), else the
 * library's text for rc. */
const char *cli_open_reason(const char *path, int rc);

/* The display width s takes once sanitised (what cli_put_safe writes). */
int cli_safe_width(const char *s);

/* "2026-11-29 14:03", "3h12m", from Unix seconds / seconds. */
void cli_format_time(char *out, size_t size, double unix_s);

/* 1 when the locale speaks UTF-8. */
int cli_utf8(void);

#endif
