/*
 * tables.h — metrics printed as tables: a line is read with the lines
 * before it.
 *
 * Two kinds, each the way a popular library prints its metrics:
 *
 *   Boxes (Stable-Baselines3's logger, every rollout):
 *
 *       -----------------------------------
 *       | rollout/           |            |
 *       |    ep_len_mean     | 200        |
 *       | time/              |            |
 *       |    fps             | 1234       |
 *       -----------------------------------
 *
 *     "| name/ | |" opens a section; "| key | value |" gives the metric
 *     <section><key> (rollout/ep_len_mean); a line of dashes ends the box.
 *
 *   Columns (fastai's fit, YOLO's train and val lines):
 *
 *       epoch     train_loss  valid_loss  accuracy  time
 *       0         0.523456    0.434567    0.812345  00:12
 *
 *     A header is a line of two or more names, each one word, two blanks
 *     or more apart (it may end as a progress bar's description: "Size:
 *     100%|███|").  A row is a later line whose fields stand exactly under
 *     the names, each starting or ending where its name does, and holds
 *     numbers (fields that are not, "00:12" or "3.21G", are passed over).
 *     A header whose names hold blanks is named by a ruler of dashes
 *     right under it (spaCy's "E    #    LOSS TOK2VEC" over "---  ----
 *     ------------").  A column named as a marker sets it: epoch or E
 *     ("1/100" counts from 1), step, iter or #.  A row that opens with a word under a header that opens
 *     with "Class" is that class's: YOLO's "all 128 929 0.651" gives
 *     all/Images, all/Instances, all/P.  A header stays until the next.
 *
 * A table's lines depend on the lines before them, so they are never
 * replayed by shapes.c; the state belongs to one stream's parse_result.
 */
#ifndef TALLY_CAPTURE_TABLES_H
#define TALLY_CAPTURE_TABLES_H

#include <stddef.h>

#include "capture/parse.h"

typedef struct table_state table_state;

/* Reads the cleaned line s[0..n) (its leading blanks kept: columns are
 * matched by position) as a table's, into r; *state is made on the first
 * header or box.  Returns 1 when the line belongs to a table (a header, a
 * section, a row: no other grammar is to read it), 0 when not, or
 * TALLY_ENOMEM. */
int table_line(table_state **state, const char *s, size_t n, parse_result *r);
void table_state_free(table_state *state);

#endif
