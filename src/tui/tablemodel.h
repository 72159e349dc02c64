/*
 * tablemodel.h — a logged table as the dashboard shows it: each cell's
 * text (strings unquoted, image cells as "[image WxH]"), rows filtered and
 * sorted by a column, column widths and horizontal scroll.  Pure over the
 * columns and cells the read API returns (JSON text); view_media.c draws it.
 */
#ifndef TALLY_TUI_TABLEMODEL_H
#define TALLY_TUI_TABLEMODEL_H

#include <stddef.h>

#include "tui/canvas.h"

#define TABLEMODEL_MAX_WIDTH 32 /* a column is never wider (its text is cut with ~) */

typedef struct tablemodel {
    size_t ncols, nrows;
    char **header; /* ncols, owned */
    char **text;   /* nrows * ncols display texts, owned */
    double *num;   /* nrows * ncols: the number a cell holds, NaN if none */
    char **image;  /* nrows * ncols: an image cell's sha256, else NULL */
    int *width;    /* ncols: display widths */
    size_t *rows;  /* the rows shown, filtered and sorted */
    size_t nshown;
    int sort_col;  /* -1: logged order */
    int sort_desc;
    char filter[256];
} tablemodel;

/* Builds the model from columns[ncols] and cells[nrows * ncols] (JSON
 * text, row-major); TALLY_ENOMEM, TALLY_EINVAL. */
int tablemodel_init(tablemodel *t, size_t ncols, size_t nrows, char *const *columns,
                    char *const *cells);
void tablemodel_free(tablemodel *t);
/* The text a JSON cell shows, appended to out; *num its number (NaN when
 * none); *sha the sha256 of an image cell (malloc'd) or NULL. */
void tablemodel_cell_text(const char *json, buf *out, double *num, char **sha);
/* Sorts by column col (numbers as numbers, before text; again on the same
 * column: reverses; col < 0: logged order). */
void tablemodel_sort(tablemodel *t, int col);
/* Keeps the rows with a cell containing text (any case; "" keeps all),
 * in the current sort. */
void tablemodel_filter(tablemodel *t, const char *text);
/* The columns from first that fit in w cells (a column, one space); at
 * least one when any is left. */
size_t tablemodel_visible_cols(const tablemodel *t, size_t first, int w);
/* Draws the header and rows top.. into r from column first; the sorted
 * column's header carries ▲/▼ (^/v in ASCII); row `sel` (an index into
 * rows) reversed. */
void tablemodel_draw(const tablemodel *t, canvas *c, canvas_rect r, size_t first, size_t top,
                     size_t sel);

#endif
