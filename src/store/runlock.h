/*
 * runlock.h — who writes a run file.  A writer claims its run with an
 * open-file-description (OFD) lock on one byte far past anything SQLite
 * touches, held for the run's life; the kernel drops it when the process
 * dies, so a reader tells a live run from a crashed one by testing it.  A
 * project lock (flock on <project>/.tally.lock) serialises "look up the id,
 * then create or resume" between processes and threads.
 *
 * Why a process-wide table: SQLite's own locks are POSIX record locks,
 * which belong to a process and an inode, and closing ANY descriptor of the
 * file drops them all.  So this module keeps one descriptor per (device,
 * inode) for the whole process, shared by the writer, the readers and the
 * sync connection of that file, and closes it only when the last of them
 * lets go, after its SQLite connection is closed.
 *
 * fork(): the child gets fresh descriptors of its own (see runlock.c), so it
 * neither keeps a parent's claim alive nor releases it.
 */
#ifndef TALLY_RUNLOCK_H
#define TALLY_RUNLOCK_H

/* The claimed byte: SQLite locks bytes near 1 GiB, never this far. */
#define RUNLOCK_BYTE ((long long)1 << 62)

typedef struct runlock runlock;

/* A reference on path's entry, for a reader or a writer.  Take it before
 * opening SQLite on the file, release it after closing SQLite. */
int runlock_open(const char *path, runlock **out);
/* Creates path (it must not exist: TALLY_EBUSY if it does) and claims it. */
int runlock_create(const char *path, runlock **out);
/* Releases the reference, and the claim if this reference holds it. */
void runlock_close(runlock *ref);

/* Claims the run for writing: TALLY_OK, or TALLY_EBUSY when a live writer
 * (another process, or another run in this one) holds it. */
int runlock_claim(runlock *ref);
/* 1: a live writer holds the claim; 0: nobody does; -1: cannot tell (the
 * file system does not support OFD locks). */
int runlock_held(runlock *ref);

/* The project lock: waits up to a few seconds (TALLY_EBUSY after that). */
int runlock_project(const char *project_dir, int *fd);
void runlock_project_release(int fd);

#endif
