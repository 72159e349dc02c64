/*
 * procinfo.h — facts about processes and this host, read from /proc: what a
 * writer records in its run row and what a reader checks to tell a live run
 * from a crashed one.
 */
#ifndef TALLY_PROCINFO_H
#define TALLY_PROCINFO_H

#include <stdint.h>

#define PROCINFO_ID_MAX 64

/* This boot's id (/proc/sys/kernel/random/boot_id), "" when unknown. */
void procinfo_boot_id(char out[PROCINFO_ID_MAX]);
/* The host name, "" when unknown. */
void procinfo_hostname(char out[PROCINFO_ID_MAX]);
/* Start time of pid in clock ticks since boot (field 22 of /proc/PID/stat);
 * -1 when there is no such process. */
int64_t procinfo_start_ticks(int64_t pid);

/* Whether the process that wrote a run row is still alive: same host and
 * boot, pid present with the same start time and not a zombie.  Returns
 * 1 alive, 0 gone,
 * -1 cannot tell (another host). */
int procinfo_writer_alive(const char *host, const char *boot_id, int64_t pid,
                          int64_t start_ticks);

#endif
