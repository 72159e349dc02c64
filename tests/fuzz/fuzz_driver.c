/*
 * fuzz_driver.c — runs a libFuzzer target without libFuzzer: replays the
 * files (or directories of files) named on the command line, then mutates
 * them at random (byte flips, inserts, deletes, splices of two inputs,
 * runs of interesting bytes) until -max_total_time=SECONDS has passed.
 * Build it with -fsanitize=address,undefined so a bad input aborts; the
 * input that did is written to ./crash-input first.  -seed=N repeats a run.
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DRIVER_MAX_INPUT (64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct input {
    uint8_t *data;
    size_t size;
} input;

static input *inputs;
static size_t ninputs;
static uint8_t *current;
static size_t current_size;
static uint64_t rng;

static uint64_t next(void)
{
    rng ^= rng << 13; /* xorshift64 */
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void on_abort(int sig)
{
    FILE *f = fopen("crash-input", "wb");
    if (f) {
        fwrite(current, 1, current_size, f);
        fclose(f);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void add_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    uint8_t *d = malloc(DRIVER_MAX_INPUT);
    size_t n = d ? fread(d, 1, DRIVER_MAX_INPUT, f) : 0;
    fclose(f);
    input *v = d ? realloc(inputs, (ninputs + 1) * sizeof *v) : NULL;
    if (!v) {
        free(d);
        return;
    }
    inputs = v;
    inputs[ninputs++] = (input){d, n};
}

static void add_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        add_file(path);
        return;
    }
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        add_file(p);
    }
    if (d)
        closedir(d);
}

static void run(uint8_t *d, size_t n)
{
    current = d;
    current_size = n;
    LLVMFuzzerTestOneInput(d, n);
}

/* One mutation of a random input into buf; returns its size. */
static size_t mutate(uint8_t *buf)
{
    static const char interesting[] = "{}[]()'\":=,;|%/.-+eE0123456789 \t\r\b\x1b\n";
    input *a = &inputs[next() % ninputs];
    size_t n = a->size;
    memcpy(buf, a->data, n);
    int rounds = 1 + (int)(next() % 8);
    for (int r = 0; r < rounds; r++) {
        size_t at = n ? next() % n : 0;
        switch (next() % 6) {
        case 0: /* flip a bit */
            if (n)
                buf[at] ^= (uint8_t)(1u << (next() % 8));
            break;
        case 1: /* an interesting byte */
            if (n)
                buf[at] = (uint8_t)interesting[next() % (sizeof interesting - 1)];
            break;
        case 2: /* insert bytes */
            if (n < DRIVER_MAX_INPUT - 8) {
                size_t k = 1 + next() % 8;
                memmove(buf + at + k, buf + at, n - at);
                for (size_t i = 0; i < k; i++)
                    buf[at + i] = (uint8_t)(next() % 3 ? interesting[next() % (sizeof interesting - 1)]
                                                       : next());
                n += k;
            }
            break;
        case 3: /* delete bytes */
            if (n) {
                size_t k = 1 + next() % (n - at < 16 ? n - at : 16);
                memmove(buf + at, buf + at + k, n - at - k);
                n -= k;
            }
            break;
        case 4: { /* splice in a piece of another input */
            input *b = &inputs[next() % ninputs];
            if (b->size) {
                size_t from = next() % b->size, k = 1 + next() % (b->size - from);
                if (n + k <= DRIVER_MAX_INPUT) {
                    memmove(buf + at + k, buf + at, n - at);
                    memcpy(buf + at, b->data + from, k);
                    n += k;
                }
            }
            break;
        }
        default: /* repeat a piece: long lines, deep nesting */
            if (n && n < DRIVER_MAX_INPUT / 2) {
                size_t k = 1 + next() % (n - at < 32 ? n - at : 32), times = 1 + next() % 64;
                for (size_t t = 0; t < times && n + k <= DRIVER_MAX_INPUT; t++) {
                    memmove(buf + at + k, buf + at, n - at);
                    n += k;
                }
            }
            break;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    double seconds = 10;
    rng = (uint64_t)time(NULL) | 1;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-max_total_time=", 16) == 0)
            seconds = atof(argv[i] + 16);
        else if (strncmp(argv[i], "-seed=", 6) == 0)
            rng = strtoull(argv[i] + 6, NULL, 10) | 1;
        else if (argv[i][0] != '-')
            add_path(argv[i]);
    }
    signal(SIGABRT, on_abort);
    signal(SIGSEGV, on_abort);
    if (ninputs == 0)
        add_file("/dev/null");
    printf("fuzz_driver: %zu inputs, seed %llu, %.0f s\n", ninputs, (unsigned long long)rng, seconds);
    for (size_t i = 0; i < ninputs; i++)
        run(inputs[i].data, inputs[i].size);
    uint8_t *buf = malloc(DRIVER_MAX_INPUT);
    if (!buf)
        return 1;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long long execs = 0;
    for (;;) {
        size_t n = mutate(buf);
        run(buf, n);
        execs++;
        if (execs % 256 == 0) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) * 1e-9 >= seconds)
                break;
        }
    }
    printf("fuzz_driver: %llu runs, no failure\n", execs);
    free(buf);
    for (size_t i = 0; i < ninputs; i++)
        free(inputs[i].data);
    free(inputs);
    return 0;
}
