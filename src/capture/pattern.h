/*
 * pattern.h — user grammars for `tally run`: --pattern templates ("iter
 * {step}: loss {loss}") and --regex with named groups, both compiled with
 * PCRE2.  Owns the compiled patterns; cmd_run.c tries them on every line
 * before the built-in grammars (parse.c); tests/unit/test_capture_pattern.c.
 */
#ifndef TALLY_CAPTURE_PATTERN_H
#define TALLY_CAPTURE_PATTERN_H

#include <stddef.h>

#include "capture/parse.h"

typedef struct pattern_set pattern_set;

int pattern_set_new(pattern_set **out);
void pattern_set_free(pattern_set *ps);
/* Adds a template: text matched literally (a run of blanks matches any
 * run of blanks), {name} a number logged as name ({step} and {epoch} set
 * those), {{ and }} a brace.  Returns 0, TALLY_EINVAL with a sentence in
 * err, or TALLY_ENOMEM. */
int pattern_add_template(pattern_set *ps, const char *tpl, char *err, size_t errlen);
/* Adds a PCRE2 regular expression; each named group is a key. */
int pattern_add_regex(pattern_set *ps, const char *re, char *err, size_t errlen);
/* How many patterns there are. */
size_t pattern_count(const pattern_set *ps);
/* Tries every pattern on the (cleaned) line; what each match names goes to
 * out, which is not reset.  Returns how many patterns matched, or
 * TALLY_ENOMEM. */
int pattern_match(pattern_set *ps, const char *line, size_t len, parse_result *out);

#endif
