/*
 * sampler.c — the system sampler thread (see sampler.h).
 *
 * Each tick reads /proc the way htop does and logs deltas: CPU % from the
 * tick counts of /proc/stat (all CPUs and each one) and of /proc/PID/stat
 * for every process in the tree under root_pid (the host, or `tally run`
 * and its child); network bytes since the start from /proc/net/dev; memory
 * from /proc/meminfo; disk from statvfs("/").  GPUs through nvml.c: NVML,
 * else nvidia-smi, else nothing (no series and no warning).  Names follow
 * wandb's system metrics so sync needs no mapping.
 */
#include "capture/sampler.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "capture/nvml.h"
#include "capture/procfs.h"
#include "common/clock.h"
#include "core/run_internal.h"

#define SAMPLER_MAX_CPUS 1024
#define SAMPLER_MAX_PIDS 4096
#define SAMPLER_SMI_TIMEOUT_MS 5000

/* A process of the tree and its CPU ticks at the last reading. */
typedef struct pid_ticks {
    pid_t pid;
    uint64_t ticks;
} pid_ticks;

struct sampler {
    tally_run *run;
    int period_ms;
    pid_t root;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    _Atomic int64_t cpu_ns, samples;

    /* thread-owned */
    long hz, page_size;
    int ncpu;
    procfs_cpu *cpu_prev, *cpu_cur;
    size_t ncpu_lines;
    pid_ticks *tree_prev, *tree_cur;
    size_t ntree_prev;
    int64_t tree_prev_ns;
    uint64_t rx0, tx0;
    int have_net;
    nvml *nvml;
    int smi; /* 1: use nvidia-smi; 0: NVML or nothing */
    pid_t *pids;
    size_t npids;
    char text[1 << 16];
};

static void put(sampler *s, const char *key, double v, int64_t t)
{
    if (!isnan(v))
        run_log_time(s->run, key, t, v);
}

/* The processes under root (root included), with their ticks, RSS and
 * threads summed.  One pass over /proc: every stat gives its ppid. */
typedef struct tree_total {
    uint64_t rss_pages;
    int64_t threads;
} tree_total;

static int ticks_cmp(const void *a, const void *b)
{
    pid_t x = ((const pid_ticks *)a)->pid, y = ((const pid_ticks *)b)->pid;
    return (x > y) - (x < y);
}

static size_t read_tree(sampler *s, tree_total *tot)
{
    static const size_t max = SAMPLER_MAX_PIDS;
    pid_t *pid = malloc(max * sizeof *pid), *ppid = malloc(max * sizeof *ppid);
    procfs_pid_stat *st = malloc(max * sizeof *st);
    size_t n = 0, out = 0;
    memset(tot, 0, sizeof *tot);
    DIR *d = opendir("/proc");
    if (d && pid && ppid && st) {
        struct dirent *e;
        char path[sizeof e->d_name + 16];
        while ((e = readdir(d)) && n < max) {
            if (e->d_name[0] < '1' || e->d_name[0] > '9')
                continue;
            snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
            if (procfs_read(path, s->text, 1024) <= 0 ||
                procfs_parse_pid_stat(s->text, &st[n]) != 0)
                continue;
            pid[n] = (pid_t)st[n].pid;
            ppid[n] = (pid_t)st[n].ppid;
            n++;
        }
        /* Mark the tree: a process joins when its parent is in it; repeat
         * until none joins (pids mostly follow creation order, so one or
         * two passes).  The tree is small: look parents up in it. */
        char *in = calloc(n ? n : 1, 1);
        pid_t *tree = malloc((n ? n : 1) * sizeof *tree);
        size_t ntree = 0;
        for (size_t i = 0; i < n && in && tree; i++)
            if (pid[i] == s->root) {
                in[i] = 1;
                tree[ntree++] = pid[i];
            }
        int grew = ntree > 0;
        while (grew && in && tree) {
            grew = 0;
            for (size_t i = 0; i < n; i++) {
                for (size_t j = 0; !in[i] && j < ntree; j++)
                    if (tree[j] == ppid[i]) {
                        in[i] = 1;
                        tree[ntree++] = pid[i];
                        grew = 1;
                    }
            }
        }
        free(tree);
        for (size_t i = 0; i < n && in; i++) {
            if (!in[i] || out >= SAMPLER_MAX_PIDS)
                continue;
            s->tree_cur[out].pid = pid[i];
            s->tree_cur[out].ticks = st[i].utime + st[i].stime;
            s->pids[out] = pid[i];
            tot->rss_pages += st[i].rss_pages > 0 ? (uint64_t)st[i].rss_pages : 0;
            tot->threads += st[i].threads;
            out++;
        }
        free(in);
    }
    if (d)
        closedir(d);
    free(pid);
    free(ppid);
    free(st);
    qsort(s->tree_cur, out, sizeof *s->tree_cur, ticks_cmp);
    s->npids = out;
    return out;
}

/* CPU ticks the tree used since the last reading: per process, so a
 * process that ends does not make the figure drop. */
static uint64_t tree_delta(sampler *s, size_t n)
{
    uint64_t d = 0;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        while (j < s->ntree_prev && s->tree_prev[j].pid < s->tree_cur[i].pid)
            j++;
        uint64_t before = j < s->ntree_prev && s->tree_prev[j].pid == s->tree_cur[i].pid
                              ? s->tree_prev[j].ticks
                              : 0;
        if (s->tree_cur[i].ticks > before)
            d += s->tree_cur[i].ticks - before;
    }
    return d;
}

static void sample_cpu(sampler *s, int64_t t, int first)
{
    char key[48];
    tree_total tot;
    size_t n = read_tree(s, &tot);
    int64_t now = clock_mono_ns();
    if (!first && now > s->tree_prev_ns && s->ncpu > 0) {
        double secs = (double)(now - s->tree_prev_ns) * 1e-9;
        double pct = 100.0 * ((double)tree_delta(s, n) / (double)s->hz) / secs / s->ncpu;
        put(s, "system.cpu", pct, t);
    }
    pid_ticks *swap = s->tree_prev;
    s->tree_prev = s->tree_cur;
    s->tree_cur = swap;
    s->ntree_prev = n;
    s->tree_prev_ns = now;
    if (n > 0 && !first) {
        put(s, "system.proc.memory.rssMB",
            (double)tot.rss_pages * (double)s->page_size / (1024.0 * 1024.0), t);
        put(s, "system.proc.cpu.threads", (double)tot.threads, t);
    }

    if (procfs_read("/proc/stat", s->text, sizeof s->text) > 0) {
        size_t lines = procfs_parse_stat(s->text, s->cpu_cur, SAMPLER_MAX_CPUS + 1);
        if (!first && lines > 0 && lines == s->ncpu_lines) {
            for (size_t i = 1; i < lines; i++) {
                snprintf(key, sizeof key, "system.cpu.%zu.cpu_percent", i - 1);
                put(s, key, procfs_cpu_percent(&s->cpu_prev[i], &s->cpu_cur[i]), t);
            }
            put(s, "system.cpu_percent", procfs_cpu_percent(&s->cpu_prev[0], &s->cpu_cur[0]), t);
        }
        procfs_cpu *sw = s->cpu_prev;
        s->cpu_prev = s->cpu_cur;
        s->cpu_cur = sw;
        s->ncpu_lines = lines;
    }
}

static void sample_other(sampler *s, int64_t t)
{
    procfs_mem mem;
    if (procfs_read("/proc/meminfo", s->text, sizeof s->text) > 0 &&
        procfs_parse_meminfo(s->text, &mem) == 0) {
        put(s, "system.memory_percent",
            100.0 * (double)(mem.total_kb - mem.available_kb) / (double)mem.total_kb, t);
        put(s, "system.proc.memory.availableMB", (double)mem.available_kb / 1024.0, t);
    }
    uint64_t rx, tx;
    if (procfs_read("/proc/net/dev", s->text, sizeof s->text) > 0 &&
        procfs_parse_net_dev(s->text, &rx, &tx) == 0) {
        if (!s->have_net) {
            s->rx0 = rx;
            s->tx0 = tx;
            s->have_net = 1;
        }
        put(s, "system.network.sent", tx >= s->tx0 ? (double)(tx - s->tx0) : 0.0, t);
        put(s, "system.network.recv", rx >= s->rx0 ? (double)(rx - s->rx0) : 0.0, t);
    }
    struct statvfs vfs;
    if (statvfs("/", &vfs) == 0 && vfs.f_blocks > 0) {
        double used = (double)(vfs.f_blocks - vfs.f_bfree) * (double)vfs.f_frsize;
        double avail = (double)vfs.f_bavail * (double)vfs.f_frsize;
        put(s, "system.disk./.usagePercent", 100.0 * used / (used + avail), t);
        put(s, "system.disk./.usageGB", used / 1e9, t);
    }
}

static void sample_gpus(sampler *s, int64_t t)
{
    gpu_sample g[NVML_MAX_GPUS];
    int n = 0;
    if (s->nvml)
        n = nvml_sample(s->nvml, s->pids, s->npids, g, NVML_MAX_GPUS);
    else if (s->smi)
        n = nvml_smi_query(NULL, g, NVML_MAX_GPUS, SAMPLER_SMI_TIMEOUT_MS);
    if (n < 0 && s->smi)
        s->smi = 0; /* it worked once and then failed: stop asking */
    static const char *const names[] = {"gpu",  "memory",     "memoryAllocated",
                                        "memoryAllocatedBytes", "temp",
                                        "powerWatts", "powerPercent"};
    char key[80];
    for (int i = 0; i < n; i++) {
        double v[] = {g[i].gpu,  g[i].memory,      g[i].memory_allocated,
                      g[i].memory_allocated_bytes, g[i].temp,
                      g[i].power_watts, g[i].power_percent};
        for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
            snprintf(key, sizeof key, "system.gpu.%d.%s", i, names[k]);
            put(s, key, v[k], t);
            if (g[i].used_by_process) {
                snprintf(key, sizeof key, "system.gpu.process.%d.%s", i, names[k]);
                put(s, key, v[k], t);
            }
        }
    }
}

static void sample(sampler *s, int first)
{
    int64_t t = run_elapsed_ms(s->run);
    sample_cpu(s, t, first);
    if (first)
        return; /* the baseline: CPU needs two readings, every series starts together */
    sample_other(s, t);
    sample_gpus(s, t);
}

static void *sampler_main(void *arg)
{
    sampler *s = arg;
    /* GPUs are looked for on this thread: dlopen and nvidia-smi stay off
     * the host's init path. */
    const char *lib = getenv("TALLY_NVML_LIBRARY");
    if (nvml_open(lib, &s->nvml) != 0 && !lib) {
        gpu_sample g[NVML_MAX_GPUS];
        s->smi = nvml_smi_query(NULL, g, NVML_MAX_GPUS, SAMPLER_SMI_TIMEOUT_MS) > 0;
    }
    sample(s, 1);
    pthread_mutex_lock(&s->mu);
    struct timespec next = clock_deadline_ms(s->period_ms);
    while (!s->stop) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, &next) == ETIMEDOUT && !s->stop) {
            pthread_mutex_unlock(&s->mu);
            sample(s, 0);
            s->samples++;
            pthread_mutex_lock(&s->mu);
            next = clock_deadline_ms(s->period_ms);
        }
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        s->cpu_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    pthread_mutex_unlock(&s->mu);
    nvml_close(s->nvml);
    return NULL;
}

static void sampler_free(sampler *s)
{
    free(s->cpu_prev);
    free(s->cpu_cur);
    free(s->tree_prev);
    free(s->tree_cur);
    free(s->pids);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int sampler_start(tally_run *run, int period_ms, pid_t root_pid, sampler **out)
{
    *out = NULL;
    sampler *s = calloc(1, sizeof *s);
    if (!s)
        return TALLY_ENOMEM;
    s->run = run;
    s->period_ms = period_ms;
    s->root = root_pid;
    s->hz = sysconf(_SC_CLK_TCK);
    s->page_size = sysconf(_SC_PAGESIZE);
    s->ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (s->hz <= 0)
        s->hz = 100;
    s->cpu_prev = calloc(SAMPLER_MAX_CPUS + 1, sizeof *s->cpu_prev);
    s->cpu_cur = calloc(SAMPLER_MAX_CPUS + 1, sizeof *s->cpu_cur);
    s->tree_prev = calloc(SAMPLER_MAX_PIDS, sizeof *s->tree_prev);
    s->tree_cur = calloc(SAMPLER_MAX_PIDS, sizeof *s->tree_cur);
    s->pids = calloc(SAMPLER_MAX_PIDS, sizeof *s->pids);
    pthread_mutex_init(&s->mu, NULL);
    clock_cond_init(&s->cv);
    if (!s->cpu_prev || !s->cpu_cur || !s->tree_prev || !s->tree_cur || !s->pids ||
        pthread_create(&s->thread, NULL, sampler_main, s) != 0) {
        sampler_free(s);
        return TALLY_ENOMEM;
    }
    *out = s;
    return TALLY_OK;
}

void sampler_stop(sampler *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    sampler_free(s);
}

int64_t sampler_cpu_ns(sampler *s)
{
    return s ? s->cpu_ns : 0;
}

int64_t sampler_samples(sampler *s)
{
    return s ? s->samples : 0;
}
