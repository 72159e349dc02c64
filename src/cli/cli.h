/*
 * cli.h — what the `tally` subcommands share: the command table entry,
 * argument helpers, opening a RUN argument, and terminal-safe printing.
 * One subcommand a file (cmd_<name>.c), each exporting one cli_command.
 */
#ifndef TALLY_CLI_H
#define TALLY_CLI_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "tally_store.h"

typedef struct cli_command {
    const char *name;
    const char *usage;   /* arguments, after "tally <name>" */
    const char *summary; /* one line for `tally help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name; returns the exit code */
} cli_command;

extern const cli_command cmd_demo, cmd_export, cmd_ls, cmd_show;
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
/* Prints the usage line of a command on stderr; returns CLI_USAGE. */
int cli_usage(const cli_command *cmd);

/* Checks a --dir argument: a store root a command reads must exist and be
 * a directory.  Returns 0, or prints why not and returns CLI_USAGE. */
int cli_check_dir(const char *dir);

/* The option every command with JSON output takes, --json-nonfinite=MODE:
 * "string" (the default: "NaN", "Infinity", "-Infinity", strict JSON) or
 * "bare" (wandb's bare tokens).  Sets *json_flags for the writer
 * (common/json.h); returns 0, or prints why not and returns CLI_USAGE. */
#define CLI_JSON_NONFINITE_OPT 'N'
#define CLI_JSON_NONFINITE_LONGOPT {"json-nonfinite", required_argument, NULL, CLI_JSON_NONFINITE_OPT}
int cli_json_nonfinite(const char *mode, unsigned *json_flags);

/* Writes one JSON document (the writer's output) and a newline to stdout. */
void cli_put_json(const cJSON *v, unsigned json_flags);

/* Resolves RUN (path, id or id prefix) under root and opens it, printing
 * one clear line on failure.  Returns 0 or CLI_FAIL. */
int cli_open_run(const char *root, const char *run, tally_store **out);

/* Writes untrusted text with control and escape sequences neutralised
 * (TEXT_ASCII when stdout's locale is not UTF-8). */
void cli_put_safe(FILE *f, const char *s);
/* The same, padded to width display columns.  When it is wider and f is a
 * terminal it is cut to them, with a trailing "…" ("~" when the locale is
 * not UTF-8); into a pipe or a file it is written whole. */
void cli_put_cell(FILE *f, const char *s, int width);
/* The display width s takes once sanitised (what cli_put_safe writes). */
int cli_safe_width(const char *s);

/* "2026-11-29 14:03", "3h12m", from Unix seconds / seconds. */
void cli_format_time(char *out, size_t size, double unix_s);

/* 1 when the locale speaks UTF-8. */
int cli_utf8(void);

#endif
