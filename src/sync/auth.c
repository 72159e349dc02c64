/*
 * auth.c — finding and storing the W&B API key (auth.h).  Owns netrc
 * parsing and rewriting.  Called by sync.c (every sync, online mode) and
 * cmd_login.c.  The key is returned to the caller only: nothing here
 * prints, logs or writes it anywhere but the netrc file.
 */
#include "sync/auth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sync/sync_error.h"
#include "tally.h"

/* The authority of a URL (what is between "scheme://" and the path), and
 * in it the part after any "userinfo@". */
typedef struct url_parts {
    const char *scheme_end; /* "://", or NULL when there is no scheme */
    const char *authority;
    size_t authority_len;
    const char *at; /* the '@' ending the userinfo, or NULL */
} url_parts;

static url_parts split_url(const char *url)
{
    url_parts u = {0};
    u.scheme_end = strstr(url, "://");
    u.authority = u.scheme_end ? u.scheme_end + 3 : url;
    u.authority_len = strcspn(u.authority, "/?#");
    for (size_t i = 0; i < u.authority_len; i++)
        if (u.authority[i] == '@')
            u.at = u.authority + i;
    return u;
}

static int host_port_valid(const char *s, size_t n);

int auth_base_url(const char *given, buf *out, char **key)
{
    if (key)
        *key = NULL;
    const char *env = getenv("WANDB_BASE_URL");
    const char *url = given && given[0] ? given : env && env[0] ? env : AUTH_DEFAULT_BASE_URL;
    buf_reset(out);
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return TALLY_EINVAL;
    url_parts u = split_url(url);
    if (u.scheme_end) {
        size_t n = (size_t)(u.scheme_end - url);
        if (!((n == 4 && strncasecmp(url, "http", 4) == 0) ||
              (n == 5 && strncasecmp(url, "https", 5) == 0)))
            return TALLY_EINVAL;
    }
    /* What remains of the authority must name a server: "https://api:KEY@"
     * or "http://:8080" would otherwise become a request to a path. */
    const char *host = u.at ? u.at + 1 : u.authority;
    if (!host_port_valid(host, u.authority_len - (size_t)(host - u.authority)))
        return TALLY_EINVAL;
    if (u.at) {
        /* Credentials: out of the URL; the password, if any, is the key. */
        const char *colon = memchr(u.authority, ':', (size_t)(u.at - u.authority));
        if (key && colon && colon + 1 < u.at) {
            *key = strndup(colon + 1, (size_t)(u.at - colon - 1));
            if (!*key)
                return TALLY_ENOMEM;
        }
        buf_append(out, url, (size_t)(u.authority - url));
        buf_puts(out, u.at + 1);
    } else {
        buf_puts(out, url);
    }
    while (out->len > 0 && out->data[out->len - 1] == '/')
        out->data[--out->len] = '\0';
    return out->oom ? TALLY_ENOMEM : TALLY_OK;
}

/* host[:port]: a host name (letters, digits, '-', '_', '.'), an IPv4
 * address, or an IPv6 one in brackets; a port of 1 to 65535 digits' worth. */
static int host_port_valid(const char *s, size_t n)
{
    size_t i = 0;
    if (n && s[0] == '[') {
        for (i = 1; i < n && s[i] != ']'; i++)
            if (!isxdigit((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
                return 0;
        if (i == n || i == 1)
            return 0;
        i++;
    } else {
        for (; i < n && s[i] != ':'; i++)
            if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
                return 0;
        if (i == 0)
            return 0;
    }
    if (i == n)
        return 1;
    if (s[i] != ':' || i + 1 == n || n - i - 1 > 5)
        return 0;
    long port = 0;
    for (size_t k = i + 1; k < n; k++) {
        if (!isdigit((unsigned char)s[k]))
            return 0;
        port = port * 10 + (s[k] - '0');
    }
    return port >= 1 && port <= 65535;
}

int auth_machine(const char *base_url, char *out, size_t size)
{
    url_parts u = split_url(base_url);
    const char *p = u.at ? u.at + 1 : u.authority;
    size_t n = u.authority_len - (size_t)(p - u.authority);
    if (n == 0 || n >= size || !host_port_valid(p, n))
        return TALLY_EINVAL;
    memcpy(out, p, n);
    out[n] = '\0';
    return TALLY_OK;
}

int auth_login_machine(const char *host, char *out, size_t size)
{
    const char *p = host;
    if (strncasecmp(p, "https://", 8) == 0)
        p += 8;
    else if (strncasecmp(p, "http://", 7) == 0)
        p += 7;
    size_t n = strlen(p);
    if (n > 0 && p[n - 1] == '/')
        n--;
    if (n == 0 || n >= size || !host_port_valid(p, n))
        return TALLY_EINVAL;
    memcpy(out, p, n);
    out[n] = '\0';
    return TALLY_OK;
}

/* ---- the process while a key is held ---- */

static pthread_mutex_t hold_mu = PTHREAD_MUTEX_INITIALIZER;
static int hold_count, hold_was_dumpable;

void auth_key_hold(void)
{
    pthread_mutex_lock(&hold_mu);
    if (hold_count++ == 0) {
        hold_was_dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
    pthread_mutex_unlock(&hold_mu);
}

void auth_key_release(void)
{
    pthread_mutex_lock(&hold_mu);
    if (hold_count > 0 && --hold_count == 0 && hold_was_dumpable == 1)
        prctl(PR_SET_DUMPABLE, hold_was_dumpable, 0, 0, 0);
    pthread_mutex_unlock(&hold_mu);
}

/* ---- netrc ----
 *
 * A netrc file is whitespace-separated tokens: "machine NAME" or "default"
 * opens an entry, "login", "password", "account" take a value, "macdef
 * NAME" is followed by a macro that ends at an empty line.  Values may be
 * double-quoted (with backslash escapes), as Python's netrc reads them. */

typedef struct tokenizer {
    const char *p;
} tokenizer;

/* The next token into out; 0 at the end. */
static int next_token(tokenizer *t, buf *out)
{
    buf_reset(out);
    for (;;) {
        while (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r')
            t->p++;
        if (*t->p != '#')
            break;
        while (*t->p && *t->p != '\n') /* a comment runs to the end of the line */
            t->p++;
    }
    if (!*t->p)
        return 0;
    if (*t->p == '"') {
        t->p++;
        while (*t->p && *t->p != '"') {
            if (*t->p == '\\' && t->p[1])
                t->p++;
            buf_putc(out, *t->p++);
        }
        if (*t->p == '"')
            t->p++;
    } else {
        while (*t->p && *t->p != ' ' && *t->p != '\t' && *t->p != '\n' && *t->p != '\r')
            buf_putc(out, *t->p++);
    }
    buf_cstr(out);
    return 1;
}

static void skip_macro(tokenizer *t)
{
    /* The rest of the macdef line, then lines up to an empty one. */
    const char *end = strstr(t->p, "\n\n");
    t->p = end ? end + 2 : t->p + strlen(t->p);
}

int auth_netrc_lookup(const char *text, const char *machine, char **password)
{
    *password = NULL;
    tokenizer t = {text ? text : ""};
    buf tok = BUF_INIT;
    char *fallback = NULL;
    int in_match = 0, in_default = 0, found = 0;
    while (!found && next_token(&t, &tok)) {
        const char *s = buf_cstr(&tok);
        if (strcmp(s, "machine") == 0) {
            in_match = next_token(&t, &tok) && strcmp(buf_cstr(&tok), machine) == 0;
            in_default = 0;
        } else if (strcmp(s, "default") == 0) {
            in_match = 0;
            in_default = 1;
        } else if (strcmp(s, "macdef") == 0) {
            next_token(&t, &tok);
            skip_macro(&t);
        } else if (strcmp(s, "password") == 0) {
            if (!next_token(&t, &tok))
                break;
            if (in_match) {
                *password = strdup(buf_cstr(&tok));
                found = 1;
            } else if (in_default && !fallback) {
                fallback = strdup(buf_cstr(&tok));
            }
        } else if (strcmp(s, "login") == 0 || strcmp(s, "account") == 0) {
            next_token(&t, &tok);
        }
    }
    buf_free(&tok);
    if (!found && fallback) {
        *password = fallback;
        fallback = NULL;
    }
    free(fallback);
    return *password ? TALLY_OK : TALLY_ENOTFOUND;
}

int auth_netrc_update(const char *text, const char *machine, const char *login,
                      const char *password, buf *out)
{
    /* Copy the text, leaving out the entry for machine: from its "machine"
     * token to the next "machine", "default" or "macdef" token. */
    tokenizer t = {text ? text : ""};
    buf tok = BUF_INIT;
    const char *copied = t.p, *skip_from = NULL;
    buf_reset(out);
    for (;;) {
        const char *before = t.p;
        int more = next_token(&t, &tok);
        const char *s = more ? buf_cstr(&tok) : "";
        int opens = more && (strcmp(s, "machine") == 0 || strcmp(s, "default") == 0 ||
                             strcmp(s, "macdef") == 0);
        if (skip_from && (opens || !more)) {
            copied = before;
            skip_from = NULL;
        }
        if (!more)
            break;
        if (strcmp(s, "machine") == 0) {
            const char *start = before;
            if (next_token(&t, &tok) && strcmp(buf_cstr(&tok), machine) == 0) {
                /* Keep the whitespace before the entry out of the copy. */
                while (start > copied && (start[-1] == ' ' || start[-1] == '\t' ||
                                          start[-1] == '\n' || start[-1] == '\r'))
                    start--;
                buf_append(out, copied, (size_t)(start - copied));
                skip_from = start;
            }
        } else if (strcmp(s, "macdef") == 0) {
            next_token(&t, &tok);
            skip_macro(&t);
        }
    }
    if (!skip_from)
        buf_append(out, copied, strlen(copied));
    buf_free(&tok);
    if (out->len && out->data[out->len - 1] != '\n')
        buf_putc(out, '\n');
    buf_printf(out, "machine %s\n  login %s\n  password %s\n", machine, login, password);
    return out->oom ? TALLY_ENOMEM : TALLY_OK;
}

int auth_key_valid(const char *key)
{
    if (!key)
        return 0;
    const char *body = key;
    const char *dash = strrchr(key, '-');
    if (dash)
        body = dash + 1;
    for (const char *p = key; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return strlen(body) >= 40;
}

int auth_netrc_path(buf *out)
{
    buf_reset(out);
    const char *netrc = getenv("NETRC");
    if (netrc && netrc[0]) {
        buf_puts(out, netrc);
    } else {
        const char *home = getenv("HOME");
        if (!home || !home[0])
            return TALLY_ENOTFOUND;
        buf_printf(out, "%s/.netrc", home);
    }
    return out->oom ? TALLY_ENOMEM : TALLY_OK;
}

static int read_text(const char *path, buf *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? TALLY_ENOTFOUND : errno == EACCES ? TALLY_EACCES : TALLY_EIO;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(out, chunk, n);
    int bad = ferror(f), err = errno; /* EISDIR: a netrc that is a directory */
    fclose(f);
    buf_cstr(out);
    errno = err;
    return bad ? TALLY_EIO : out->oom ? TALLY_ENOMEM : TALLY_OK;
}

int auth_api_key(const char *base_url, char **key)
{
    *key = NULL;
    const char *env = getenv("WANDB_API_KEY");
    if (env && env[0]) {
        *key = strdup(env);
        return *key ? TALLY_OK : TALLY_ENOMEM;
    }
    char machine[256];
    buf path = BUF_INIT, text = BUF_INIT;
    int rc = auth_machine(base_url, machine, sizeof machine);
    if (!rc)
        rc = auth_netrc_path(&path);
    if (!rc)
        rc = read_text(buf_cstr(&path), &text);
    if (!rc)
        rc = auth_netrc_lookup(buf_cstr(&text), machine, key);
    /* The text held the key: clear it before it goes back to the heap. */
    if (text.data)
        memset(text.data, 0, text.cap);
    buf_free(&text);
    buf_free(&path);
    return rc == TALLY_ENOTFOUND ? SYNC_ENOKEY : rc;
}

/* The file a write to path must replace: path itself, or for a symbolic
 * link (a dotfiles manager's ~/.netrc) the file it finally points to, so
 * that the link survives.  TALLY_ENOTFOUND when the link dangles. */
static int write_target(const char *path, buf *out)
{
    buf_reset(out);
    struct stat sb;
    if (lstat(path, &sb) != 0 || !S_ISLNK(sb.st_mode)) {
        buf_puts(out, path);
        return out->oom ? TALLY_ENOMEM : TALLY_OK;
    }
    char *real = realpath(path, NULL);
    if (!real)
        return errno == ENOMEM ? TALLY_ENOMEM : errno == EACCES ? TALLY_EACCES : TALLY_ENOTFOUND;
    buf_puts(out, real);
    free(real);
    return out->oom ? TALLY_ENOMEM : TALLY_OK;
}

/* Replaces path's contents by data: a temporary file beside it, mode 0600,
 * synced, then renamed over it. */
static int replace_file(const char *path, const buf *data)
{
    buf tmp = BUF_INIT;
    buf_printf(&tmp, "%s.tally-XXXXXX", path);
    int fd = tmp.oom ? -1 : mkstemp(tmp.data);
    if (fd < 0) {
        int rc = tmp.oom ? TALLY_ENOMEM : errno == EACCES ? TALLY_EACCES : TALLY_EIO;
        buf_free(&tmp);
        return rc;
    }
    int rc = TALLY_OK, err = 0;
    fchmod(fd, 0600);
    size_t off = 0;
    while (off < data->len) {
        ssize_t w = write(fd, data->data + off, data->len - off);
        if (w <= 0) {
            rc = TALLY_EIO;
            err = w < 0 ? errno : ENOSPC;
            break;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 && !rc) {
        rc = TALLY_EIO;
        err = errno;
    }
    close(fd);
    if (!rc && rename(tmp.data, path) != 0) {
        err = errno; /* EISDIR: a netrc that is a directory */
        rc = err == EACCES ? TALLY_EACCES : TALLY_EIO;
    }
    if (rc)
        unlink(tmp.data);
    buf_free(&tmp);
    errno = err;
    return rc;
}

int auth_store_key(const char *machine, const char *key, buf *written)
{
    buf_reset(written);
    char checked[256];
    if (!auth_key_valid(key) || auth_login_machine(machine, checked, sizeof checked) != 0 ||
        strcmp(checked, machine) != 0)
        return TALLY_EINVAL;
    buf path = BUF_INIT, text = BUF_INIT, next = BUF_INIT;
    int rc = auth_netrc_path(&path);
    if (!rc)
        rc = write_target(buf_cstr(&path), written);
    if (rc == TALLY_ENOTFOUND)
        buf_puts(written, buf_cstr(&path)); /* the dangling link, for the message */
    if (!rc) {
        rc = read_text(buf_cstr(written), &text);
        if (rc == TALLY_ENOTFOUND)
            rc = TALLY_OK;
    }
    if (!rc)
        rc = auth_netrc_update(buf_cstr(&text), machine, "user", key, &next);
    if (!rc)
        rc = replace_file(buf_cstr(written), &next);
    if (text.data)
        memset(text.data, 0, text.cap);
    if (next.data)
        memset(next.data, 0, next.cap);
    buf_free(&text);
    buf_free(&next);
    buf_free(&path);
    return rc;
}
