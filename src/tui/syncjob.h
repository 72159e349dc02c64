/*
 * syncjob.h — syncing runs from the dashboard: the runs browser's S key
 * starts a job that pushes the chosen runs to the W&B server on a thread
 * of its own, while the dashboard keeps drawing and reads its progress.
 */
#ifndef TALLY_TUI_SYNCJOB_H
#define TALLY_TUI_SYNCJOB_H

#include <stddef.h>

typedef struct tui_syncjob tui_syncjob;

/* Starts syncing the run files in paths (copied); 0 or a TALLY_E* code. */
int tui_syncjob_start(char *const *paths, size_t n, tui_syncjob **out);
/* A one-line status for the footer into line; returns 1 while the job
 * runs, 0 once it has ended (the line then says how it ended). */
int tui_syncjob_status(tui_syncjob *job, char *line, size_t size);
/* Cancels the job if it still runs, waits for it, and frees it. */
void tui_syncjob_free(tui_syncjob *job);

#endif
