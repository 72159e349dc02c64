/*
 * util.c — helpers the subcommands share (see cli.h).
 */
#include <ctype.h>
#include <errno.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/text.h"

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tally: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_FAIL;
}

/* A key that is also a short option: a letter or a digit. */
static int short_key(int key)
{
    return key > 0 && key < 128 && isalnum(key);
}

void cli_parser_init(cli_parser *p, const cli_command *cmd)
{
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->rc = CLI_USAGE; /* a key the command forgot to act on */
    size_t n = 0, k = 0;
    if (cmd->flags & CLI_OPERANDS_FIRST)
        p->shortopts[k++] = '+';
    for (const cli_option *o = cmd->options; o && o->name && n < CLI_MAX_OPTIONS; o++, n++) {
        p->longopts[n] = (struct option){o->name, o->arg ? required_argument : no_argument,
                                         NULL, o->key};
        if (short_key(o->key)) {
            p->shortopts[k++] = (char)o->key;
            if (o->arg)
                p->shortopts[k++] = ':';
        }
    }
}

int cli_getopt(cli_parser *p, int argc, char **argv)
{
    for (;;) {
        int c = getopt_long(argc, argv, p->shortopts, p->longopts, NULL);
        switch (c) {
        case 'd':
            if (!(p->cmd->flags & CLI_MAKES_STORE) && cli_check_dir(optarg)) {
                p->rc = CLI_USAGE;
                return CLI_STOP;
            }
            p->dir = optarg;
            continue;
        case CLI_JSON_NONFINITE_OPT:
            if (cli_json_nonfinite(optarg, &p->json_flags)) {
                p->rc = CLI_USAGE;
                return CLI_STOP;
            }
            continue;
        case 'h': p->rc = cli_help(p->cmd); return CLI_STOP;
        case '?':
        case ':': p->rc = cli_usage(p->cmd); return CLI_STOP;
        default: return c;
        }
    }
}

const char *cli_root(const cli_parser *p)
{
    return p->dir ? p->dir : tally_store_default_root();
}

void cli_synopsis(FILE *f, const cli_command *cmd)
{
    fprintf(f, "usage: tally %s%s%s%s\n", cmd->name, cmd->options ? " [options]" : "",
            cmd->operands[0] ? " " : "", cmd->operands);
}

int cli_usage(const cli_command *cmd)
{
    cli_synopsis(stderr, cmd);
    fprintf(stderr, "`tally %s --help` lists the options.\n", cmd->name);
    return CLI_USAGE;
}

/* "-d, --dir D" or "    --long" into out. */
static void option_label(char *out, size_t size, const cli_option *o)
{
    char shortname[5] = "    ";
    if (short_key(o->key))
        snprintf(shortname, sizeof shortname, "-%c, ", o->key);
    snprintf(out, size, "%s--%s%s%s", shortname, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

/* Text that starts at column indent, wrapped at the blanks before
 * HELP_COLUMNS, the lines after the first indented as much. */
#define HELP_COLUMNS 79
static void print_wrapped(const char *text, int indent)
{
    int col = indent, first = 1;
    for (const char *p = text; *p;) {
        int len = (int)strcspn(p, " ");
        if (!first && col + 1 + len > HELP_COLUMNS) {
            printf("\n%*s", indent, "");
            col = indent;
            first = 1;
        }
        if (!first) {
            putchar(' ');
            col++;
        }
        printf("%.*s", len, p);
        col += len;
        first = 0;
        for (p += len; *p == ' '; p++)
            ;
    }
    putchar('\n');
}

int cli_help(const cli_command *cmd)
{
    cli_synopsis(stdout, cmd);
    printf("\n%c%s.\n", toupper((unsigned char)cmd->summary[0]), cmd->summary + 1);
    int width = 0;
    char label[64];
    for (const cli_option *o = cmd->options; o && o->name; o++) {
        option_label(label, sizeof label, o);
        if ((int)strlen(label) > width)
            width = (int)strlen(label);
    }
    if (cmd->options)
        printf("\noptions:\n");
    for (const cli_option *o = cmd->options; o && o->name; o++) {
        option_label(label, sizeof label, o);
        printf("  %-*s  ", width, label);
        print_wrapped(o->help, width + 4);
    }
    if (cmd->details)
        printf("\n%s", cmd->details);
    printf("\nSee tally(1) for more.\n");
    return fflush(stdout) == 0 && !ferror(stdout) ? CLI_OK : CLI_FAIL;
}

int cli_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && strcmp(cs, "UTF-8") == 0;
}

/* s made safe for this terminal's locale. */
static void sanitize(buf *out, const char *s)
{
    text_sanitize(out, s ? s : "", s ? strlen(s) : 0, cli_utf8() ? 0 : TEXT_ASCII);
}

void cli_put_safe(FILE *f, const char *s)
{
    if (!s)
        return;
    buf b = BUF_INIT;
    sanitize(&b, s);
    fputs(buf_cstr(&b), f);
    buf_free(&b);
}

int cli_safe_width(const char *s)
{
    buf b = BUF_INIT;
    sanitize(&b, s);
    int w = text_width(buf_cstr(&b));
    buf_free(&b);
    return w;
}

void cli_put_cell(FILE *f, const char *s, int width)
{
    buf b = BUF_INIT;
    sanitize(&b, s);
    const char *p = buf_cstr(&b);
    int used = text_width(p);
    if (used > width && width > 0 && isatty(fileno(f))) {
        /* Cut at a character boundary, leaving a column for the marker. */
        used = 0;
        size_t i = 0, n = strlen(p);
        while (i < n) {
            uint32_t cp;
            size_t len = utf8_decode(p + i, n - i, &cp);
            if (len == 0)
                len = 1;
            char one[5] = {0};
            memcpy(one, p + i, len);
            int w = text_width(one);
            if (used + w > width - 1)
                break;
            used += w;
            i += len;
        }
        fwrite(p, 1, i, f);
        fputs(cli_utf8() ? "\xe2\x80\xa6" : "~", f); /* U+2026 */
        used++;
    } else {
        fputs(p, f); /* off a terminal nothing is cut: scripts read whole values */
    }
    for (; used < width; used++)
        fputc(' ', f);
    buf_free(&b);
}

int cli_check_dir(const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        int err = errno;
        fputs("tally: --dir ", stderr);
        cli_put_safe(stderr, dir);
        fprintf(stderr, ": %s\n", strerror(err));
        return CLI_USAGE;
    }
    if (!S_ISDIR(sb.st_mode)) {
        fputs("tally: --dir ", stderr);
        cli_put_safe(stderr, dir);
        fputs(": not a directory\n", stderr);
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cli_json_nonfinite(const char *mode, unsigned *json_flags)
{
    if (strcmp(mode, "string") == 0) {
        *json_flags &= ~JSON_BARE_NONFINITE;
    } else if (strcmp(mode, "bare") == 0) {
        *json_flags |= JSON_BARE_NONFINITE;
    } else {
        fputs("tally: --json-nonfinite takes 'string' or 'bare', not '", stderr);
        cli_put_safe(stderr, mode);
        fputs("'\n", stderr);
        return CLI_USAGE;
    }
    return CLI_OK;
}

void cli_put_json(const cJSON *v, unsigned json_flags)
{
    buf out = BUF_INIT;
    json_write(&out, v, json_flags);
    buf_putc(&out, '\n');
    fwrite(buf_cstr(&out), 1, out.len, stdout);
    buf_free(&out);
}

void cli_format_time(char *out, size_t size, double unix_s)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (unix_s <= 0 || !localtime_r(&t, &tm)) {
        snprintf(out, size, "-");
        return;
    }
    strftime(out, size, "%Y-%m-%d %H:%M", &tm);
}

const char *cli_open_reason(const char *path, int rc)
{
    /* The store maps a refused open to "not found" or "damaged"; the user
     * needs to hear "Permission denied". */
    if (access(path, R_OK) != 0)
        return strerror(errno);
    return tally_strerror(rc);
}

/* An ambiguous id prefix names this many of its candidates. */
#define AMBIGUOUS_SHOWN 8

int cli_open_run(const char *root, const char *run, tally_store **out)
{
    char *path = NULL;
    int rc = tally_store_resolve(root, run, &path);
    if (rc == TALLY_ENOTFOUND) {
        int is_path = strchr(run, '/') || strstr(run, ".db");
        fputs(is_path ? "tally: no such run file '" : "tally: no run '", stderr);
        cli_put_safe(stderr, run);
        if (is_path) {
            fputs("'\n", stderr);
        } else {
            fputs("' under ", stderr);
            cli_put_safe(stderr, root);
            fputs("\n", stderr);
        }
        return CLI_FAIL;
    }
    if (rc == TALLY_EINVAL) {
        /* One line, as every error: the candidates' ids, the first few. */
        fputs("tally: '", stderr);
        cli_put_safe(stderr, run);
        fputs("' matches several runs:", stderr);
        tally_run_match *m = NULL;
        size_t n = 0;
        if (tally_store_matches(root, run, &m, &n) == TALLY_OK)
            for (size_t i = 0; i < n && i < AMBIGUOUS_SHOWN; i++) {
                fputs(i ? ", " : " ", stderr);
                cli_put_safe(stderr, m[i].id);
            }
        if (n > AMBIGUOUS_SHOWN)
            fprintf(stderr, " and %zu more", n - AMBIGUOUS_SHOWN);
        fputs(" (give more of the id)\n", stderr);
        tally_run_matches_free(m, n);
        return CLI_FAIL;
    }
    if (rc)
        return cli_error("%s", tally_strerror(rc));
    rc = tally_store_open(path, out);
    if (rc) {
        fputs("tally: cannot read ", stderr);
        cli_put_safe(stderr, path);
        fputs(": ", stderr);
        cli_put_safe(stderr, cli_open_reason(path, rc));
        fputc('\n', stderr);
        free(path);
        return CLI_FAIL;
    }
    free(path);
    return CLI_OK;
}

int cli_report_damage(tally_store *st)
{
    size_t n = tally_store_damage_count(st);
    for (size_t i = 0; i < n; i++) {
        const tally_damage *d = tally_store_damage(st, i);
        buf name = BUF_INIT;
        text_sanitize(&name, d->metric, strlen(d->metric), 0);
        cli_error("damaged data left out: %s%s%s, steps %lld..%lld (%lld value%s)",
                  d->metric_id >= 0 ? "metric \"" : "", buf_cstr(&name),
                  d->metric_id >= 0 ? "\"" : "", (long long)d->first_x, (long long)d->last_x,
                  (long long)d->n, d->n == 1 ? "" : "s");
        buf_free(&name);
    }
    return n ? CLI_FAIL : CLI_OK;
}
