/*
 * procfs.c — /proc parsers (see procfs.h).  Pure functions over text, read
 * the way htop reads: CPU % is the busy share of the tick deltas between two
 * readings of /proc/stat (per CPU) or /proc/PID/stat (per process).
 */
#include "capture/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tally.h"

/* Parses up to max unsigned fields separated by blanks; returns how many. */
static size_t parse_u64s(const char *p, const char *end, uint64_t *v, size_t max)
{
    size_t n = 0;
    while (n < max) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            break;
        uint64_t x = 0;
        while (p < end && *p >= '0' && *p <= '9')
            x = x * 10 + (uint64_t)(*p++ - '0');
        v[n++] = x;
    }
    return n;
}

size_t procfs_parse_stat(const char *text, procfs_cpu *out, size_t max)
{
    size_t n = 0;
    const char *p = text;
    while (p && *p && n < max) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            break; /* a cut line is not trusted */
        if (strncmp(p, "cpu", 3) == 0) {
            const char *q = p + 3;
            long idx = -1;
            if (*q >= '0' && *q <= '9')
                idx = strtol(q, (char **)&q, 10);
            uint64_t f[8] = {0};
            size_t nf = parse_u64s(q, eol, f, 8);
            if (nf >= 4 && (size_t)(idx + 1) < max) {
                procfs_cpu c = {0, f[3] + f[4]};
                for (size_t i = 0; i < nf; i++)
                    c.total += f[i];
                out[idx + 1] = c;
                if ((size_t)(idx + 2) > n)
                    n = (size_t)(idx + 2);
            }
        } else if (n > 0) {
            break; /* the cpu lines come first */
        }
        p = eol + 1;
    }
    return n;
}

double procfs_cpu_percent(const procfs_cpu *prev, const procfs_cpu *cur)
{
    if (cur->total <= prev->total)
        return 0.0;
    double total = (double)(cur->total - prev->total);
    double idle = cur->idle >= prev->idle ? (double)(cur->idle - prev->idle) : 0.0;
    double busy = total - idle;
    if (busy < 0)
        busy = 0;
    return 100.0 * busy / total;
}

int procfs_parse_pid_stat(const char *text, procfs_pid_stat *out)
{
    memset(out, 0, sizeof *out);
    char *end;
    long long pid = strtoll(text, &end, 10);
    const char *rp = strrchr(text, ')');
    if (end == text || !rp || rp[1] != ' ' || !rp[2])
        return TALLY_EINVAL;
    out->pid = pid;
    out->state = rp[2];
    /* Fields after the state, numbered as in proc(5): 4 ppid ... */
    const char *p = rp + 3;
    int field = 4;
    while (*p && field <= 24) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        long long v = strtoll(p, &end, 10);
        if (end == p)
            return TALLY_EINVAL;
        switch (field) {
        case 4: out->ppid = v; break;
        case 14: out->utime = (uint64_t)v; break;
        case 15: out->stime = (uint64_t)v; break;
        case 20: out->threads = v; break;
        case 24: out->rss_pages = v; break;
        default: break;
        }
        p = end;
        field++;
    }
    return field > 24 ? TALLY_OK : TALLY_EINVAL;
}

/* The kB value of "Key:   1234 kB" in meminfo, or -1. */
static long long meminfo_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, klen) == 0 && p[klen] == ':')
            return strtoll(p + klen + 1, NULL, 10);
    }
    return -1;
}

int procfs_parse_meminfo(const char *text, procfs_mem *out)
{
    long long total = meminfo_value(text, "MemTotal");
    long long avail = meminfo_value(text, "MemAvailable");
    if (total <= 0)
        return TALLY_EINVAL;
    if (avail < 0) {
        long long f = meminfo_value(text, "MemFree"), b = meminfo_value(text, "Buffers"),
                  c = meminfo_value(text, "Cached");
        avail = (f > 0 ? f : 0) + (b > 0 ? b : 0) + (c > 0 ? c : 0);
    }
    out->total_kb = (uint64_t)total;
    out->available_kb = (uint64_t)avail;
    return TALLY_OK;
}

int procfs_parse_net_dev(const char *text, uint64_t *rx, uint64_t *tx)
{
    int found = 0;
    *rx = *tx = 0;
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        const char *colon = strchr(p, ':');
        if (!eol)
            eol = p + strlen(p);
        if (colon && colon < eol) {
            const char *name = p;
            while (*name == ' ')
                name++;
            uint64_t f[9];
            if (parse_u64s(colon + 1, eol, f, 9) == 9) {
                found = 1;
                if (!((size_t)(colon - name) == 2 && strncmp(name, "lo", 2) == 0)) {
                    *rx += f[0];
                    *tx += f[8];
                }
            }
        }
        p = *eol ? eol + 1 : eol;
    }
    return found ? TALLY_OK : TALLY_EINVAL;
}

long procfs_read(const char *path, char *out, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    while (len + 1 < size) {
        ssize_t r = read(fd, out + len, size - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    out[len] = '\0';
    return (long)len;
}
