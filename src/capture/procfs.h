/*
 * procfs.h — parsers of Linux /proc text, as pure functions over a buffer
 * (no I/O, no allocation), plus the one reader that fills such a buffer.
 * Used by the system sampler (sampler.c); unit-tested on recorded samples
 * in tests/unit/data/ (tests/unit/test_capture_procfs.c).
 */
#ifndef TALLY_CAPTURE_PROCFS_H
#define TALLY_CAPTURE_PROCFS_H

#include <stddef.h>
#include <stdint.h>

/* One "cpu" / "cpuN" line of /proc/stat, in clock ticks. */
typedef struct procfs_cpu {
    uint64_t total; /* every field up to steal (guest is already counted in user) */
    uint64_t idle;  /* idle + iowait */
} procfs_cpu;

/* Parses the cpu lines of /proc/stat: out[0] is the all-CPU line, out[1 + k]
 * is cpuk.  Returns how many were filled (0: none found).  Text may be cut
 * short after the cpu lines. */
size_t procfs_parse_stat(const char *text, procfs_cpu *out, size_t max);
/* Busy share of the interval between two readings, in percent [0, 100]. */
double procfs_cpu_percent(const procfs_cpu *prev, const procfs_cpu *cur);

/* The fields of /proc/PID/stat the sampler uses. */
typedef struct procfs_pid_stat {
    int64_t pid, ppid;
    char state;
    uint64_t utime, stime; /* clock ticks */
    int64_t threads;
    int64_t rss_pages;
} procfs_pid_stat;

/* 0, or TALLY_EINVAL when the text is not a stat line.  The command name
 * may hold spaces and parentheses: fields are counted after the last ')'. */
int procfs_parse_pid_stat(const char *text, procfs_pid_stat *out);

typedef struct procfs_mem {
    uint64_t total_kb, available_kb;
} procfs_mem;

/* /proc/meminfo.  MemAvailable when the kernel has it, else free + buffers
 * + cached.  0, or TALLY_EINVAL without MemTotal. */
int procfs_parse_meminfo(const char *text, procfs_mem *out);

/* /proc/net/dev: bytes received and sent over every interface but lo.
 * 0, or TALLY_EINVAL when no interface line is found. */
int procfs_parse_net_dev(const char *text, uint64_t *rx, uint64_t *tx);

/* Reads a whole (small) file into out, NUL-terminated, cut at size - 1
 * bytes.  Returns the length, or -1. */
long procfs_read(const char *path, char *out, size_t size);

#endif
