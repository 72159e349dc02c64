/*
 * names.c — run ids and friendly run names ("brisk-river-42"), from the
 * kernel's random source.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/run_internal.h"

static void random_bytes(unsigned char *out, size_t n)
{
    if (getrandom(out, n, GRND_NONBLOCK) == (ssize_t)n)
        return;
    /* No entropy yet (early boot): mix time and pid.  Ids only need to be
     * unlikely to collide, not secret. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)ts.tv_sec ^
                 ((uint64_t)getpid() << 32);
    for (size_t i = 0; i < n; i++) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdu;
        x ^= x >> 29;
        out[i] = (unsigned char)x;
    }
}

void names_random_id(char out[9])
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[8];
    random_bytes(r, sizeof r);
    for (int i = 0; i < 8; i++)
        out[i] = alphabet[r[i] % 36];
    out[8] = '\0';
}

void names_random_name(char *out, size_t size)
{
    static const char *const adjectives[] = {
        "amber", "bold",   "brisk", "calm",  "clever", "cosmic", "crisp",  "daring",
        "eager", "fancy",  "fresh", "gentle", "golden", "hardy",  "jolly",  "keen",
        "lively", "lucky", "misty", "noble", "polar",  "proud",  "quiet",  "rapid",
        "royal", "silent", "snowy", "solar", "steady", "sunny",  "swift",  "vivid"};
    static const char *const nouns[] = {
        "aurora", "breeze", "canyon", "cedar",  "comet",  "delta",  "dune",   "ember",
        "field",  "forest", "galaxy", "glade",  "harbor", "island", "lake",   "meadow",
        "mesa",   "moon",   "nebula", "ocean",  "orbit",  "pine",   "planet", "prairie",
        "rain",   "river",  "sky",    "spark",  "star",   "storm",  "valley", "wave"};
    unsigned char r[3];
    random_bytes(r, sizeof r);
    snprintf(out, size, "%s-%s-%d", adjectives[r[0] % 32], nouns[r[1] % 32], 1 + r[2] % 99);
}
