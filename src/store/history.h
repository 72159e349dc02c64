/*
 * history.h — the JSON-line form of a history row, shared by `tally export`
 * and sync (wandb-history.jsonl), so both write a row the same way.  The
 * row iterator itself is public, in tally_store.h.
 */
#ifndef TALLY_HISTORY_H
#define TALLY_HISTORY_H

#include "common/buf.h"
#include "tally_store.h"

/* Appends {"_step":x,"<name>":value,...} with the cells that hold a value,
 * in column order, written by the one JSON writer (common/json.h) with its
 * flags: sync passes JSON_BARE_NONFINITE, export the user's choice.  With h,
 * the history the row came from, the names are the JSON keys it escaped
 * once when it opened; with NULL (a row built by hand) they are escaped
 * here. */
void history_row_json(buf *out, const tally_history *h, const tally_history_row *row,
                      unsigned flags);

#endif
