/*
 * clock.h — the two clocks tally uses: wall time for timestamps a person
 * reads, monotonic time for durations and deadlines.
 */
#ifndef TALLY_CLOCK_H
#define TALLY_CLOCK_H

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

/* The absolute CLOCK_MONOTONIC time ms milliseconds from now. */
static inline struct timespec clock_deadline_ms(int64_t ms)
{
    int64_t ns = clock_mono_ns() + ms * 1000000;
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    return ts;
}

#endif
