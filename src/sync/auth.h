/*
 * auth.h — where the W&B API key comes from: $WANDB_API_KEY, else the
 * netrc file ($NETRC, else ~/.netrc) entry for the server's host; and
 * `tally login` storing one there (mode 0600).  The netrc parser and
 * rewriter are pure, for tests.  Used by sync.c and cmd_login.c.
 */
#ifndef TALLY_SYNC_AUTH_H
#define TALLY_SYNC_AUTH_H

#include <stddef.h>

#include "common/buf.h"

#define AUTH_DEFAULT_BASE_URL "https://api.wandb.ai"

/* The server's base URL: given, else $WANDB_BASE_URL, else the default,
 * without trailing slashes and without credentials.  A "user:password@" in
 * it is cut out, so it is never stored or printed; the password goes to
 * *key (malloc'd) when key is not NULL and there is one, else *key is
 * NULL.  TALLY_EINVAL for blanks or control characters in the URL, or a
 * scheme other than http and https. */
int auth_base_url(const char *given, buf *out, char **key);

/* host[:port] of a base URL, as a netrc "machine" name; 0 or TALLY_EINVAL
 * (no host, or not a host name, IPv4/IPv6 address and port). */
int auth_machine(const char *base_url, char *out, size_t size);

/* The machine name of what `tally login --host` was given: host[:port],
 * optionally with http:// or https:// and a trailing '/'; TALLY_EINVAL for
 * anything else (a path, credentials, blanks, newlines). */
int auth_login_machine(const char *host, char *out, size_t size);

/* The process is made non-dumpable (no core dump, no ptrace by the same
 * user) while at least one holder has a key in memory: auth_key_hold()
 * when one starts, auth_key_release() when it has wiped it.  Counted, so
 * sessions overlap; the last release restores how the process was. */
void auth_key_hold(void);
void auth_key_release(void);

/* Finds the password of machine (or of "default" when no machine matches)
 * in netrc text; 0 with *password malloc'd, or TALLY_ENOTFOUND. */
int auth_netrc_lookup(const char *text, const char *machine, char **password);

/* Writes text with machine's entry replaced (or added) by one with login
 * and password; other entries are kept as they were. */
int auth_netrc_update(const char *text, const char *machine, const char *login,
                      const char *password, buf *out);

/* 1 when key looks like a W&B API key: [A-Za-z0-9_-]+, with at least 40
 * characters after an optional "prefix-". */
int auth_key_valid(const char *key);

/* The netrc file: $NETRC, else $HOME/.netrc. */
int auth_netrc_path(buf *out);

/* The key for base_url, malloc'd; SYNC_ENOKEY when there is none. */
int auth_api_key(const char *base_url, char **key);

/* Stores key for machine in the netrc file, mode 0600, atomically.  A
 * netrc that is a symbolic link is written through: the link stays, its
 * target gets the entry (written is the file written).  TALLY_ENOTFOUND
 * when the link's target does not exist; on TALLY_EIO or TALLY_EACCES,
 * errno says why (EISDIR, ENOENT for a missing directory, ENOSPC...). */
int auth_store_key(const char *machine, const char *key, buf *written);

#endif
