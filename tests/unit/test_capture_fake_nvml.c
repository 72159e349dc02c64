/*
 * test_capture_fake_nvml.c — a fake libnvidia-ml for test_capture_nvml:
 * exports the NVML entry points src/capture/nvml.c looks up, describing
 * two GPUs with fixed readings; process 4242 and the calling process run
 * on GPU 1.
 */
#include <string.h>
#include <unistd.h>

typedef void *nvmlDevice_t;
typedef struct {
    unsigned gpu, memory;
} fake_util;
typedef struct {
    unsigned long long total, free, used;
} fake_memory;
typedef struct {
    unsigned pid;
    unsigned long long used;
    unsigned gi, ci;
} fake_process;

static int devices[2];
static int inited;

int nvmlInit_v2(void);
int nvmlShutdown(void);
int nvmlDeviceGetCount_v2(unsigned *n);
int nvmlDeviceGetHandleByIndex_v2(unsigned i, nvmlDevice_t *d);
int nvmlDeviceGetUtilizationRates(nvmlDevice_t d, fake_util *u);
int nvmlDeviceGetMemoryInfo(nvmlDevice_t d, fake_memory *m);
int nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned *t);
int nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned *mw);
int nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned *mw);
int nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned *n, fake_process *p);

static int index_of(nvmlDevice_t d)
{
    return d == &devices[0] ? 0 : d == &devices[1] ? 1 : -1;
}

int nvmlInit_v2(void)
{
    inited++;
    return 0;
}

int nvmlShutdown(void)
{
    inited--;
    return 0;
}

int nvmlDeviceGetCount_v2(unsigned *n)
{
    *n = inited ? 2 : 0;
    return inited ? 0 : 1;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned i, nvmlDevice_t *d)
{
    if (i > 1)
        return 2;
    *d = &devices[i];
    return 0;
}

int nvmlDeviceGetUtilizationRates(nvmlDevice_t d, fake_util *u)
{
    int i = index_of(d);
    u->gpu = i ? 90 : 10;
    u->memory = i ? 50 : 5;
    return 0;
}

int nvmlDeviceGetMemoryInfo(nvmlDevice_t d, fake_memory *m)
{
    m->total = 80ull << 30;
    m->used = index_of(d) ? 20ull << 30 : 0;
    m->free = m->total - m->used;
    return 0;
}

int nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned *t)
{
    *t = sensor == 0 ? (index_of(d) ? 70u : 30u) : 0u;
    return 0;
}

int nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned *mw)
{
    if (index_of(d) == 0)
        return 3; /* not supported on GPU 0 */
    *mw = 350000;
    return 0;
}

int nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned *mw)
{
    (void)d;
    *mw = 700000;
    return 0;
}

int nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned *n, fake_process *p)
{
    if (index_of(d) == 0) {
        *n = 0;
        return 0;
    }
    if (*n < 2) {
        *n = 2;
        return 7; /* NVML_ERROR_INSUFFICIENT_SIZE */
    }
    memset(p, 0, 2 * sizeof *p);
    p[0].pid = 4242;
    p[0].used = 1u << 30;
    p[1].pid = (unsigned)getpid();
    p[1].used = 2u << 30;
    *n = 2;
    return 0;
}
