/*
 * nvml.c — GPU readings through NVML loaded at run time (see nvml.h).
 *
 * As nvtop does it: dlopen("libnvidia-ml.so.1"), look each entry point up
 * into a table of function pointers, and speak to the driver only through
 * it; the types are restated here (a few ints and structs of the stable
 * NVML ABI) so nothing of NVIDIA's is needed to build.  The nvidia-smi
 * fallback and its CSV parser live here too: the same readings, another way.
 */
#include "capture/nvml.h"

#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "capture/spawn.h"
#include "tally.h"

/* The NVML ABI, restated. */
typedef int nvml_ret; /* NVML_SUCCESS = 0 */
typedef void *nvml_dev;
typedef struct {
    unsigned gpu, memory;
} nvml_util;
typedef struct {
    unsigned long long total, free, used;
} nvml_memory;
typedef struct { /* nvmlProcessInfo_t of the _v2 / _v3 calls */
    unsigned pid;
    unsigned long long used_gpu_memory;
    unsigned gpu_instance_id, compute_instance_id;
} nvml_process;
#define NVML_TEMPERATURE_GPU 0
#define NVML_ERROR_INSUFFICIENT_SIZE 7

typedef struct nvml_api {
    nvml_ret (*init)(void);
    nvml_ret (*shutdown)(void);
    nvml_ret (*count)(unsigned *);
    nvml_ret (*handle)(unsigned, nvml_dev *);
    nvml_ret (*utilization)(nvml_dev, nvml_util *);
    nvml_ret (*memory)(nvml_dev, nvml_memory *);
    nvml_ret (*temperature)(nvml_dev, int, unsigned *);
    nvml_ret (*power)(nvml_dev, unsigned *);       /* milliwatts */
    nvml_ret (*power_limit)(nvml_dev, unsigned *); /* milliwatts */
    nvml_ret (*processes)(nvml_dev, unsigned *, nvml_process *); /* optional */
} nvml_api;

struct nvml {
    void *lib;
    nvml_api api;
    unsigned count;
    nvml_dev dev[NVML_MAX_GPUS];
};

/* One symbol, trying each name in turn (the versioned ones first). */
static void *lookup(void *lib, const char *const *names)
{
    for (; *names; names++) {
        void *f = dlsym(lib, *names);
        if (f)
            return f;
    }
    return NULL;
}

#define LOOKUP(field, ...)                                                                       \
    do {                                                                                         \
        static const char *const names_[] = {__VA_ARGS__, NULL};                                 \
        void *f_ = lookup(n->lib, names_);                                                       \
        memcpy(&n->api.field, &f_, sizeof f_);                                                   \
    } while (0)

int nvml_open(const char *lib_path, nvml **out)
{
    *out = NULL;
    nvml *n = calloc(1, sizeof *n);
    if (!n)
        return TALLY_ENOMEM;
    n->lib = dlopen(lib_path ? lib_path : "libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!n->lib) {
        free(n);
        return TALLY_ENOTFOUND;
    }
    LOOKUP(init, "nvmlInit_v2", "nvmlInit");
    LOOKUP(shutdown, "nvmlShutdown");
    LOOKUP(count, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount");
    LOOKUP(handle, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex");
    LOOKUP(utilization, "nvmlDeviceGetUtilizationRates");
    LOOKUP(memory, "nvmlDeviceGetMemoryInfo");
    LOOKUP(temperature, "nvmlDeviceGetTemperature");
    LOOKUP(power, "nvmlDeviceGetPowerUsage");
    LOOKUP(power_limit, "nvmlDeviceGetEnforcedPowerLimit");
    LOOKUP(processes, "nvmlDeviceGetComputeRunningProcesses_v3",
           "nvmlDeviceGetComputeRunningProcesses_v2");
    unsigned count = 0;
    if (!n->api.init || !n->api.shutdown || !n->api.count || !n->api.handle ||
        n->api.init() != 0) {
        dlclose(n->lib);
        free(n);
        return TALLY_ENOTFOUND;
    }
    if (n->api.count(&count) != 0 || count == 0) {
        n->api.shutdown();
        dlclose(n->lib);
        free(n);
        return TALLY_ENOTFOUND;
    }
    for (unsigned i = 0; i < count && n->count < NVML_MAX_GPUS; i++)
        if (n->api.handle(i, &n->dev[n->count]) == 0)
            n->count++;
    *out = n;
    return TALLY_OK;
}

void nvml_close(nvml *n)
{
    if (!n)
        return;
    n->api.shutdown();
    dlclose(n->lib);
    free(n);
}

static int uses(nvml *n, nvml_dev dev, const pid_t *pids, size_t npids)
{
    nvml_process procs[64];
    unsigned count = 64;
    if (!n->api.processes || !pids || n->api.processes(dev, &count, procs) != 0)
        return 0;
    for (unsigned i = 0; i < count && i < 64; i++)
        for (size_t k = 0; k < npids; k++)
            if ((pid_t)procs[i].pid == pids[k])
                return 1;
    return 0;
}

int nvml_sample(nvml *n, const pid_t *pids, size_t npids, gpu_sample *out, size_t max)
{
    size_t k = 0;
    for (unsigned i = 0; i < n->count && k < max; i++, k++) {
        nvml_dev d = n->dev[i];
        gpu_sample *s = &out[k];
        s->gpu = s->memory = s->memory_allocated = s->memory_allocated_bytes = NAN;
        s->temp = s->power_watts = s->power_percent = NAN;
        nvml_util u;
        nvml_memory m;
        unsigned t, mw, limit;
        if (n->api.utilization && n->api.utilization(d, &u) == 0) {
            s->gpu = u.gpu;
            s->memory = u.memory;
        }
        if (n->api.memory && n->api.memory(d, &m) == 0 && m.total > 0) {
            s->memory_allocated = 100.0 * (double)m.used / (double)m.total;
            s->memory_allocated_bytes = (double)m.used;
        }
        if (n->api.temperature && n->api.temperature(d, NVML_TEMPERATURE_GPU, &t) == 0)
            s->temp = t;
        if (n->api.power && n->api.power(d, &mw) == 0) {
            s->power_watts = mw / 1000.0;
            if (n->api.power_limit && n->api.power_limit(d, &limit) == 0 && limit > 0)
                s->power_percent = 100.0 * mw / limit;
        }
        s->used_by_process = uses(n, d, pids, npids);
    }
    return (int)k;
}

/* ---- nvidia-smi ---- */

/* One CSV field: a number, or NaN for "[N/A]" and the like.  Returns the
 * position after the field's comma (or at the end of the line). */
static const char *smi_field(const char *p, const char *eol, double *v, int *ok)
{
    while (p < eol && *p == ' ')
        p++;
    char *end;
    double x = strtod(p, &end);
    const char *comma = memchr(p, ',', (size_t)(eol - p));
    const char *stop = comma ? comma : eol;
    const char *q = end;
    while (q < stop && (*q == ' ' || *q == '\r'))
        q++;
    if (end == p || q != stop) {
        x = NAN;
        if (*p != '[') /* "[N/A]", "[Not Supported]": known; anything else: junk */
            *ok = 0;
    }
    *v = x;
    return comma ? comma + 1 : eol;
}

int nvml_smi_parse(const char *csv, gpu_sample *out, size_t max)
{
    size_t k = 0;
    for (const char *p = csv; p && *p && k < max;) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            eol = p + strlen(p);
        double f[7];
        int ok = 1, nf = 0;
        const char *q = p;
        while (nf < 7 && q < eol) {
            q = smi_field(q, eol, &f[nf], &ok);
            nf++;
        }
        if (ok && nf == 7 && q == eol) {
            gpu_sample *s = &out[k++];
            s->gpu = f[0];
            s->memory = f[1];
            s->memory_allocated_bytes = f[2] * 1024.0 * 1024.0; /* MiB */
            s->memory_allocated = f[3] > 0 ? 100.0 * f[2] / f[3] : NAN;
            s->temp = f[4];
            s->power_watts = f[5];
            s->power_percent = f[6] > 0 ? 100.0 * f[5] / f[6] : NAN;
            s->used_by_process = 0;
        }
        p = *eol ? eol + 1 : eol;
    }
    return (int)k;
}

int nvml_smi_query(const char *smi_path, gpu_sample *out, size_t max, int timeout_ms)
{
    const char *argv[] = {smi_path ? smi_path : "nvidia-smi", "--query-gpu=" NVML_SMI_FIELDS,
                          "--format=csv,noheader,nounits", NULL};
    buf text = BUF_INIT;
    int rc = spawn_capture(argv, NULL, timeout_ms, 1 << 16, &text, NULL);
    if (rc == 0)
        rc = nvml_smi_parse(buf_cstr(&text), out, max);
    else
        rc = TALLY_ENOTFOUND;
    buf_free(&text);
    return rc;
}
