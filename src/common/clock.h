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

/* Wall time minus monotonic time, in seconds: wall time is then a
 * monotonic read plus this, one clock read instead of two.  Refresh it now
 * and then (the wall clock may be set). */
static inline double clock_wall_offset(void)
{
    return clock_wall() - (double)clock_mono_ns() * 1e-9;
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
