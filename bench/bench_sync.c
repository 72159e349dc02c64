/*
 * bench_sync.c — sync throughput: a 100 metrics x 100k steps run (written
 * through the public API) synced to tests/fake_wandb.py on loopback, with
 * plain and gzip bodies, in scalars per second; and the client side alone
 * (rows read, serialised, batched, compressed; nothing sent), so a slow
 * Python server can be told apart from a slow client.  And media: a run of
 * MEDIA_IMAGES images synced (rows, CreateRunFiles, PUTs, cursors) against
 * the same bytes PUT bare over one connection, as a ratio.
 *
 *   bench_sync [STEPS]      (default 100000; the fake server needs python3)
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "common/clock.h"
#include "common/json.h"
#include "store/history.h"
#include "sync/filestream.h"
#include "sync/http.h"
#include "sync/sync.h"
#include "tally.h"

#define METRICS BENCH_METRICS
#define KEY "bench-0123456789abcdef0123456789abcdef01234567"

#ifndef FAKE_WANDB
#define FAKE_WANDB "tests/fake_wandb.py"
#endif

static double now(void) { return (double)clock_mono_ns() * 1e-9; }

/* Starts the fake server; returns its pid and port. */
static pid_t start_fake(const char *dir, int gzip, int *port)
{
    char portfile[512];
    snprintf(portfile, sizeof portfile, "%s/port-%d", dir, gzip);
    unlink(portfile);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("python3", "python3", FAKE_WANDB, "serve", "--bench", "--key", KEY,
               "--port-file", portfile, gzip ? "--gzip" : "--bench", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(portfile, "r");
        if (f) {
            int ok = fscanf(f, "%d", port) == 1;
            fclose(f);
            if (ok)
                return pid;
        }
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGTERM);
    return -1;
}

#define MEDIA_IMAGES 300

/* A finished run of MEDIA_IMAGES steps, each a different 64x64 RGB image. */
static char *write_media_run(const char *dir)
{
    tally_options o = {.dir = dir, .project = "media", .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    tally_run *run;
    if (tally_init_ex(&o, &run))
        return NULL;
    static unsigned char px[64 * 64 * 3];
    for (int s = 0; s < MEDIA_IMAGES; s++) {
        for (size_t i = 0; i < sizeof px; i++)
            px[i] = (unsigned char)(i * 7 + (size_t)s * 13 + (i / 192) * s);
        tally_image img = {.pixels = px, .width = 64, .height = 64, .channels = 3};
        tally_log(run, "loss", 1.0 / (s + 1));
        tally_log_image(run, "samples", &img);
        tally_commit(run);
    }
    char *path = strdup(tally_run_path(run));
    tally_finish(run, 0);
    return path;
}

/* The run's image bytes PUT one after another, nothing else: seconds. */
static double bare_puts(const char *path, int port, int64_t *bytes)
{
    tally_store *st;
    if (tally_store_open(path, &st))
        return -1;
    http_config cfg;
    http_config_defaults(&cfg);
    http_client *c;
    if (http_client_new(&cfg, &c)) {
        tally_store_close(st);
        return -1;
    }
    tally_media_iter *it;
    tally_media m;
    const char *headers[] = {"X-Fake-Upload: yes", NULL};
    double t = 0;
    *bytes = 0;
    if (tally_media_open(st, -1, INT64_MIN, INT64_MAX, &it) == 0) {
        for (int n = 0; tally_media_next(it, &m) == 1; n++) {
            double t0 = now();
            void *data;
            size_t size;
            if (tally_store_blob(st, m.files[0].sha256, &data, &size) != 0)
                break;
            char url[160];
            snprintf(url, sizeof url, "http://127.0.0.1:%d/_upload/bare%%2F%d.png", port, n);
            http_request req = {.method = "PUT", .url = url, .body = data, .len = size,
                                .content_type = "application/octet-stream",
                                .headers = headers};
            http_response resp = {0};
            char err[256];
            int rc = http_send(c, &req, &resp, err, sizeof err);
            buf_free(&resp.body);
            free(data);
            t += now() - t0;
            *bytes += (int64_t)size;
            if (rc) {
                t = -1;
                break;
            }
        }
        tally_media_close(it);
    }
    http_client_free(c);
    tally_store_close(st);
    return t;
}

static int bench_media(const char *dir)
{
    char *path = write_media_run(dir);
    int port = 0;
    pid_t pid = path ? start_fake(dir, 0, &port) : -1;
    if (pid < 0) {
        free(path);
        return -1;
    }
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    sync_options o = {.base_url = url, .api_key = KEY, .entity = "bench", .project = "media"};
    sync_result r;
    double t0 = now();
    int rc = sync_run(path, &o, &r);
    double t = now() - t0;
    int64_t bytes = 0;
    double bare = rc ? -1 : bare_puts(path, port, &bytes);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    free(path);
    if (rc || bare <= 0) {
        fprintf(stderr, "bench_sync: media: %s\n", rc ? r.error : "bare PUTs failed");
        return -1;
    }
    printf("media sync: %lld images (%.0f kB) in %.2f s, %.0f files/s; the same bytes PUT "
           "bare: %.2f s\n",
           (long long)r.files, (double)bytes / 1e3, t, (double)r.files / t, bare);
    /* No target: against a loopback server that answers a PUT in a fraction
     * of a millisecond, the one durable cursor commit per file (what makes
     * a killed sync re-upload nothing it had an answer for) dominates;
     * against a real object store's tens of ms it is small. */
    printf("media sync / bare PUTs: %.2fx; sync's own cost %.2f ms a file (its cursor commit, "
           "rows, CreateRunFiles)\n",
           t / bare, (t - bare) * 1e3 / (double)r.files);
    return 0;
}

static int bench_wire(const char *dir, const char *path, long steps, int gzip)
{
    int port = 0;
    pid_t pid = start_fake(dir, gzip, &port);
    if (pid < 0) {
        fprintf(stderr, "bench_sync: cannot start %s (python3?)\n", FAKE_WANDB);
        return -1;
    }
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    sync_options o = {.base_url = url, .api_key = KEY, .entity = "bench",
                      .project = gzip ? "gzip" : "plain"};
    sync_result r;
    double t0 = now();
    int rc = sync_run(path, &o, &r);
    double t = now() - t0;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    if (rc) {
        fprintf(stderr, "bench_sync: %s\n", r.error);
        return -1;
    }
    printf("sync to loopback fake server, %-5s %8.0f scalars/s  (%lld rows in %.2f s, %.1f MB "
           "on the wire, %lld requests)\n",
           gzip ? "gzip:" : "plain:", (double)steps * METRICS / t, (long long)r.history, t,
           (double)r.bytes / 1e6, (long long)r.requests);
    return 0;
}

/* What the client does per row, without the network. */
static int bench_client(const char *path, long steps, int gzip)
{
    tally_store *st;
    if (tally_store_open(path, &st))
        return -1;
    fstream_batch b;
    fstream_batch_init(&b, FSTREAM_MAX_BODY);
    buf line = BUF_INIT, body = BUF_INIT, packed = BUF_INIT;
    size_t wire = 0;
    double t0 = now();
    tally_history *h;
    int rc = tally_history_open(st, TALLY_AXIS_STEP, NULL, INT64_MIN, INT64_MAX, &h);
    tally_history_row row;
    int64_t n = 0;
    while (!rc && tally_history_next(h, &row) == 1) {
        buf_reset(&line);
        history_row_json(&line, h, &row, JSON_BARE_NONFINITE);
        if (fstream_add(&b, FSTREAM_HISTORY, n, line.data, line.len) == FSTREAM_FULL) {
            fstream_body(&b, &body);
            if (gzip)
                http_gzip(body.data, body.len, &packed);
            wire += gzip ? packed.len : body.len;
            fstream_batch_reset(&b);
            fstream_add(&b, FSTREAM_HISTORY, n, line.data, line.len);
        }
        n++;
    }
    fstream_body(&b, &body);
    if (gzip)
        http_gzip(body.data, body.len, &packed);
    wire += gzip ? packed.len : body.len;
    double t = now() - t0;
    tally_history_close(h);
    printf("client side alone,                %-5s %8.0f scalars/s  (%lld rows in %.2f s, %.1f "
           "MB)\n",
           gzip ? "gzip:" : "plain:", (double)steps * METRICS / t, (long long)n, t,
           (double)wire / 1e6);
    fstream_batch_free(&b);
    buf_free(&line);
    buf_free(&body);
    buf_free(&packed);
    tally_store_close(st);
    return rc;
}

int main(int argc, char **argv)
{
    long steps = argc > 1 ? atol(argv[1]) : 100000;
    setenv("TALLY_QUIET", "1", 1);
    char dir[] = "/tmp/tally-bench-sync-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    double t0 = now();
    char *path = bench_write_run(dir, steps, 0);
    if (!path)
        return 1;
    printf("run: %d metrics x %ld steps written in %.2f s\n", METRICS, steps, now() - t0);
    int rc = 0;
    rc |= bench_client(path, steps, 0);
    rc |= bench_client(path, steps, 1);
    rc |= bench_wire(dir, path, steps, 0);
    rc |= bench_wire(dir, path, steps, 1);
    printf("target: >= 500000 scalars/s\n");
    rc |= bench_media(dir);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = 1;
    free(path);
    return rc ? 1 : 0;
}
