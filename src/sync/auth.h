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

/* $WANDB_BASE_URL, else the default; trailing slashes are not kept. */
void auth_base_url(const char *given, buf *out);

/* host[:port] of a base URL, as a netrc "machine" name; 0 or TALLY_EINVAL. */
int auth_machine(const char *base_url, char *out, size_t size);

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

/* Stores key for base_url's host in the netrc file, mode 0600, atomically. */
int auth_store_key(const char *base_url, const char *key);

#endif
