/*
 * clock.h — the two clocks tally uses: wall time for timestamps a person
 * reads, monotonic time for durations and deadlines.
 */
#ifndef TALLY_CLOCK_H
#define TALLY_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Unix time in seconds, with sub-second precision. */
static inline double clock_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Monotonic nanoseconds from an arbitrary origin. */
static inline int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The coarse clocks: the time at the kernel's last tick (a few ms of
 * resolution), read without touching the hardware counter.  For stamps
 * that many calls a second take and nobody reads to the microsecond. */
static inline int64_t clock_mono_coarse_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Wall time minus coarse monotonic time, in seconds, at one tick: wall
 * time is then coarse monotonic time plus this, for one clock read. */
static inline double clock_wall_offset(void)
{
    struct timespec w, m;
    clock_gettime(CLOCK_REALTIME_COARSE, &w);
    clock_gettime(CLOCK_MONOTONIC_COARSE, &m);
    return (double)(w.tv_sec - m.tv_sec) + (double)(w.tv_nsec - m.tv_nsec) * 1e-9;
}

/* A condition variable that times out on CLOCK_MONOTONIC, as the
 * deadlines of clock_deadline_ms() need: a wall-clock jump must neither
 * stall nor hurry a flusher or a sampler. */
static inline void clock_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
}

/* The absolute CLOCK_MONOTONIC time ms milliseconds from now, for
 * pthread_cond_timedwait() on a clock_cond_init() condition variable. */
static inline struct timespec clock_deadline_ms(int64_t ms)
{
    int64_t ns = clock_mono_ns() + ms * 1000000;
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    return ts;
}

#endif
