/*
 * procinfo.c — boot id, host name and process start times from /proc.
 *
 * A pid alone does not identify a process: pids are reused.  The pair
 * (pid, start time in ticks since boot) does, within one boot; the boot id
 * tells boots apart.
 */
#include "common/procinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void read_line(const char *path, char out[PROCINFO_ID_MAX])
{
    out[0] = '\0';
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    if (fgets(out, PROCINFO_ID_MAX, f))
        out[strcspn(out, "\n")] = '\0';
    else
        out[0] = '\0';
    fclose(f);
}

void procinfo_boot_id(char out[PROCINFO_ID_MAX])
{
    read_line("/proc/sys/kernel/random/boot_id", out);
}

void procinfo_hostname(char out[PROCINFO_ID_MAX])
{
    if (gethostname(out, PROCINFO_ID_MAX) != 0)
        out[0] = '\0';
    out[PROCINFO_ID_MAX - 1] = '\0';
}

/* The state letter (field 3) and start time (field 22) of /proc/<pid>/stat. */
static int read_stat(int64_t pid, char *state, int64_t *start_ticks)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: fields
     * are counted from the last ')'. */
    char *p = strrchr(line, ')');
    if (!p || p[1] != ' ' || !p[2])
        return -1;
    *state = p[2];
    p++;
    for (int field = 3; field < 22 && p; field++)
        p = strchr(p + 1, ' ');
    if (!p)
        return -1;
    *start_ticks = strtoll(p + 1, NULL, 10);
    return 0;
}

int64_t procinfo_start_ticks(int64_t pid)
{
    char state;
    int64_t ticks;
    return read_stat(pid, &state, &ticks) == 0 ? ticks : -1;
}

int procinfo_writer_alive(const char *host, const char *boot_id, int64_t pid,
                          int64_t start_ticks)
{
    char my_host[PROCINFO_ID_MAX], my_boot[PROCINFO_ID_MAX];
    procinfo_hostname(my_host);
    if (!host || strcmp(host, my_host) != 0)
        return -1;
    procinfo_boot_id(my_boot);
    if (boot_id && boot_id[0] && my_boot[0] && strcmp(boot_id, my_boot) != 0)
        return 0;
    if (pid <= 0)
        return 0;
    char state;
    int64_t ticks;
    /* A zombie (killed, not yet reaped) writes no more. */
    if (read_stat(pid, &state, &ticks) != 0 || state == 'Z' || state == 'X')
        return 0;
    return start_ticks <= 0 || ticks == start_ticks;
}
