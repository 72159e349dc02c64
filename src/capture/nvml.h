/*
 * nvml.h — NVIDIA GPU readings for the sampler, behind one small interface
 * (as nvtop does): NVML loaded with dlopen at run time through a table of
 * function pointers — no build-time dependency — else `nvidia-smi` parsed
 * as CSV.  No GPU: nvml_open() fails quietly and there are no readings.
 */
#ifndef TALLY_CAPTURE_NVML_H
#define TALLY_CAPTURE_NVML_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NVML_MAX_GPUS 64

/* One GPU's reading; a field is NaN when the driver did not give it. */
typedef struct gpu_sample {
    double gpu;                  /* utilization, % */
    double memory;               /* memory controller utilization, % */
    double memory_allocated;     /* used / total memory, % */
    double memory_allocated_bytes;
    double temp;                 /* degrees C */
    double power_watts;
    double power_percent;        /* power / enforced limit, % */
    int used_by_process;         /* one of the pids given runs on it */
} gpu_sample;

typedef struct nvml nvml;

/* Loads NVML from lib_path (NULL: "libnvidia-ml.so.1"), initialises it and
 * counts the GPUs.  0, or TALLY_ENOTFOUND when there is no library, no
 * driver or no GPU. */
int nvml_open(const char *lib_path, nvml **out);
void nvml_close(nvml *n);
/* Reads every GPU into out[0..max); pids (may be NULL) are the process tree
 * whose GPUs are marked used_by_process.  Returns the count, or < 0. */
int nvml_sample(nvml *n, const pid_t *pids, size_t npids, gpu_sample *out, size_t max);

/* Parses `nvidia-smi --query-gpu=NVML_SMI_FIELDS --format=csv,noheader,nounits`
 * output, one GPU a line; "[N/A]" / "[Not Supported]" become NaN.  Returns
 * the count (lines that do not parse are skipped). */
#define NVML_SMI_FIELDS                                                                          \
    "utilization.gpu,utilization.memory,memory.used,memory.total,temperature.gpu,"               \
    "power.draw,enforced.power.limit"
int nvml_smi_parse(const char *csv, gpu_sample *out, size_t max);
/* Runs nvidia-smi (no shell, with a timeout) and parses it.  Returns the
 * count, or TALLY_ENOTFOUND when it is missing or fails. */
int nvml_smi_query(const char *smi_path, gpu_sample *out, size_t max, int timeout_ms);

#endif
