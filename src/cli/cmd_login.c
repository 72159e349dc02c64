/*
 * cmd_login.c — `tally login [--host HOST] [KEY]`: stores a W&B API key in
 * the netrc file ($NETRC, else ~/.netrc; mode 0600) for the server's host,
 * where `tally sync` and online runs find it.  The key is read from the
 * terminal without echo, or from stdin, when not given (an argument shows
 * in `ps`).  It is never printed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "sync/auth.h"

static int read_key(char *out, size_t size, const char *host)
{
    int tty = isatty(STDIN_FILENO);
    struct termios saved, quiet;
    if (tty) {
        fprintf(stderr, "Paste an API key for %s (from its /authorize page); it will not be "
                        "shown: ",
                host);
        fflush(stderr);
        if (tcgetattr(STDIN_FILENO, &saved) == 0) {
            quiet = saved;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        } else {
            tty = 0;
        }
    }
    char *got = fgets(out, (int)size, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    if (!got)
        return -1;
    out[strcspn(out, "\r\n")] = '\0';
    /* Surrounding blanks come with pasting. */
    char *p = out;
    while (*p == ' ' || *p == '\t')
        p++;
    memmove(out, p, strlen(p) + 1);
    size_t n = strlen(out);
    while (n && (out[n - 1] == ' ' || out[n - 1] == '\t'))
        out[--n] = '\0';
    return 0;
}

static const cli_option login_option_table[] = {
    {"host", 'H', "HOST", "the server: host[:port], with an optional http:// or https:// "
                            "(default: the host of $WANDB_BASE_URL, else api.wandb.ai)"},
    CLI_OPTION_HELP,
    {NULL, 0, NULL, NULL}};

static int run_login(int argc, char **argv)
{
    const char *host = NULL;
    cli_parser parser;
    cli_parser_init(&parser, &cmd_login);
    int c;
    while ((c = cli_getopt(&parser, argc, argv)) != -1) {
        switch (c) {
        case 'H': host = optarg; break;
        default: return parser.rc; /* --help, or a bad option */
        }
    }
    if (argc - optind > 1)
        return cli_usage(&cmd_login);
    /* The machine name goes into the netrc file: only a host[:port]. */
    char machine[256];
    if (host && auth_login_machine(host, machine, sizeof machine) != 0)
        return cli_error("--host takes a host[:port], optionally with http:// or https://");
    if (!host) {
        buf base = BUF_INIT;
        int rc = auth_base_url(NULL, &base, NULL);
        if (!rc)
            rc = auth_machine(buf_cstr(&base), machine, sizeof machine);
        buf_free(&base);
        if (rc) /* not echoed: the URL may hold credentials */
            return cli_error("WANDB_BASE_URL is not a usable http(s) URL");
    }
    char key[512] = "";
    int status = CLI_OK;
    auth_key_hold();
    if (optind < argc)
        snprintf(key, sizeof key, "%s", argv[optind]);
    else if (read_key(key, sizeof key, machine) < 0)
        status = cli_error("no API key given");
    if (status == CLI_OK && !auth_key_valid(key))
        status = cli_error("that does not look like an API key (letters, digits, '_' and '-', "
                           "at least 40 characters)");
    if (status == CLI_OK) {
        buf path = BUF_INIT, written = BUF_INIT;
        auth_netrc_path(&path);
        int rc = auth_store_key(machine, key, &written);
        if (rc == TALLY_ENOTFOUND)
            status = cli_error("cannot write %s: it is a symbolic link to a file that does not "
                               "exist",
                               buf_cstr(&path));
        else if (rc == TALLY_EIO || rc == TALLY_EACCES)
            status = cli_error("cannot write %s: %s", buf_cstr(&written), strerror(errno));
        else if (rc)
            status = cli_error("cannot write %s: %s", buf_cstr(&written), tally_strerror(rc));
        else if (strcmp(buf_cstr(&path), buf_cstr(&written)) != 0)
            fprintf(stderr, "tally: API key for %s stored in %s (the target of %s)\n", machine,
                    buf_cstr(&written), buf_cstr(&path));
        else
            fprintf(stderr, "tally: API key for %s stored in %s\n", machine, buf_cstr(&path));
        buf_free(&path);
        buf_free(&written);
    }
    memset(key, 0, sizeof key);
    auth_key_release();
    return status;
}

const cli_command cmd_login = {
    .name = "login",
    .operands = "[KEY]",
    .summary = "store a W&B API key in ~/.netrc for `tally sync`",
    .run = run_login,
    .options = login_option_table,
    .details = "Without KEY, the key is read from standard input (not echoed on a terminal).\n"
               "The netrc file is $NETRC, else ~/.netrc; it is written with mode 0600.\n",
};
