/*
 * dictline.h — one scanner for the two ways programs print a dict on one
 * line: JSON (with json.dumps' NaN, Infinity, -Infinity) and Python's repr
 * (single quotes, True/False/None, nan/inf, np.float64(0.5), tensor(0.5)).
 * Pure; called by parse.c; tests/unit/test_capture_parse.c and the corpus.
 */
#ifndef TALLY_CAPTURE_DICTLINE_H
#define TALLY_CAPTURE_DICTLINE_H

#include <stddef.h>

/* Receives one number of the dict: key is "a/b" for nested dicts, depth 0
 * at the top level; text[0..tlen) is the number as written (text NULL for
 * a word: NaN, Infinity, nan, inf).  Returns 0, or a negative TALLY_E* to
 * stop the scan. */
typedef int (*dictline_fn)(void *ctx, const char *key, size_t klen, int depth, double value,
                           const char *text, size_t tlen);

/* Scans s[0..n), which must be exactly one dict (blanks around allowed).
 * Returns 1 when it was one (numbers went to fn), 2 when it was one but a
 * key was refused for its length (a member with a shorter key, perhaps
 * only fewer digits, would have been read), 0 when it is not a dict (fn
 * may have been called for a prefix: the caller discards them), or the
 * callback's error. */
int dictline_scan(const char *s, size_t n, dictline_fn fn, void *ctx);

#endif
