/*
 * sampler.h — the system sampler: one thread per run that every period
 * reads CPU, memory, network, disk and GPU figures and logs them as
 * time-axis series (system.*).  Started and stopped by capture.c.
 */
#ifndef TALLY_CAPTURE_SAMPLER_H
#define TALLY_CAPTURE_SAMPLER_H

#include <stdint.h>
#include <sys/types.h>

#include "tally.h"

typedef struct sampler sampler;

/* Starts sampling the process tree rooted at root_pid every period_ms. */
int sampler_start(tally_run *run, int period_ms, pid_t root_pid, sampler **out);
/* Stops and joins the thread (a last sample is not taken). */
void sampler_stop(sampler *s);
/* CPU time the sampler thread has used so far, in ns (for the benchmark). */
int64_t sampler_cpu_ns(sampler *s);
/* Samples taken so far. */
int64_t sampler_samples(sampler *s);

#endif
