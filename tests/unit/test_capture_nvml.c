/*
 * test_capture_nvml.c — the NVML loader of src/capture/nvml.c against a
 * fake library (test_capture_fake_nvml.c, built as a module beside the
 * tests), a missing library, the nvidia-smi CSV parser on a recorded
 * output (tests/unit/data/nvidia_smi.csv), and a run whose sampler reads
 * the fake GPUs: the series it stores.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "capture/nvml.h"
#include "capture/procfs.h"
#include "tally.h"
#include "tally_store.h"

static void test_fake_library(void **state)
{
    (void)state;
    nvml *n = NULL;
    assert_int_equal(nvml_open(FAKE_NVML, &n), 0);
    gpu_sample g[4];
    pid_t pids[] = {1, 4242};
    assert_int_equal(nvml_sample(n, pids, 2, g, 4), 2);
    assert_float_equal(g[0].gpu, 10, 0);
    assert_float_equal(g[0].memory, 5, 0);
    assert_float_equal(g[0].memory_allocated, 0, 0);
    assert_float_equal(g[0].temp, 30, 0);
    assert_true(isnan(g[0].power_watts) && isnan(g[0].power_percent));
    assert_int_equal(g[0].used_by_process, 0);
    assert_float_equal(g[1].gpu, 90, 0);
    assert_float_equal(g[1].memory_allocated, 25.0, 1e-9);
    assert_float_equal(g[1].memory_allocated_bytes, (double)(20ull << 30), 0);
    assert_float_equal(g[1].temp, 70, 0);
    assert_float_equal(g[1].power_watts, 350.0, 1e-9);
    assert_float_equal(g[1].power_percent, 50.0, 1e-9);
    assert_int_equal(g[1].used_by_process, 1);
    /* without the pids, no GPU is this process's */
    assert_int_equal(nvml_sample(n, NULL, 0, g, 1), 1);
    assert_int_equal(g[0].used_by_process, 0);
    nvml_close(n);
}

static void test_missing_library(void **state)
{
    (void)state;
    nvml *n = (nvml *)1;
    assert_int_equal(nvml_open("/nowhere/libnvidia-ml.so.1", &n), TALLY_ENOTFOUND);
    assert_null(n);
    /* a library that is not NVML at all */
    assert_int_equal(nvml_open("libc.so.6", &n), TALLY_ENOTFOUND);
    assert_null(n);
}

static void test_smi_csv(void **state)
{
    (void)state;
    static char text[4096];
    char path[4096];
    snprintf(path, sizeof path, "%s/nvidia_smi.csv", TEST_DATA);
    assert_true(procfs_read(path, text, sizeof text) > 0);
    gpu_sample g[8];
    assert_int_equal(nvml_smi_parse(text, g, 8), 3);
    assert_float_equal(g[0].gpu, 45, 0);
    assert_float_equal(g[0].memory, 12, 0);
    assert_float_equal(g[0].memory_allocated, 50.0, 1e-9);
    assert_float_equal(g[0].memory_allocated_bytes, 40960.0 * 1024 * 1024, 0);
    assert_float_equal(g[0].temp, 61, 0);
    assert_float_equal(g[0].power_watts, 250.5, 1e-9);
    assert_float_equal(g[0].power_percent, 100.0 * 250.5 / 700.0, 1e-9);
    assert_true(isnan(g[1].power_watts) && isnan(g[1].power_percent));
    assert_float_equal(g[1].memory_allocated, 0, 0);
    assert_true(isnan(g[2].gpu));
    assert_float_equal(g[2].power_percent, 25.0, 1e-9);
    /* cut to max; nothing; CRLF; too few and too many fields */
    assert_int_equal(nvml_smi_parse(text, g, 1), 1);
    assert_int_equal(nvml_smi_parse("", g, 8), 0);
    assert_int_equal(nvml_smi_parse("1, 2, 3, 4, 5, 6, 7\r\n", g, 8), 1);
    assert_int_equal(nvml_smi_parse("1, 2, 3\n1, 2, 3, 4, 5, 6, 7, 8\n", g, 8), 0);
    assert_int_equal(nvml_smi_parse("NVIDIA-SMI has failed because it couldn't communicate\n",
                                    g, 8), 0);
}

static void test_smi_missing(void **state)
{
    (void)state;
    gpu_sample g[2];
    assert_int_equal(nvml_smi_query("/nowhere/nvidia-smi", g, 2, 1000), TALLY_ENOTFOUND);
    assert_int_equal(nvml_smi_query("false", g, 2, 1000), TALLY_ENOTFOUND);
}

static void test_sampler_series(void **state)
{
    (void)state;
    char dir[] = "/tmp/test-capture-nvml-XXXXXX";
    assert_non_null(mkdtemp(dir));
    setenv("TALLY_NVML_LIBRARY", FAKE_NVML, 1);
    tally_options o = {.dir = dir, .sample_ms = 20, .capture = TALLY_CAPTURE_SYSTEM};
    tally_run *run;
    assert_int_equal(tally_init_ex(&o, &run), 0);
    char *path = strdup(tally_run_path(run));
    usleep(200000);
    assert_int_equal(tally_finish(run, 0), 0);
    unsetenv("TALLY_NVML_LIBRARY");

    tally_store *st;
    assert_int_equal(tally_store_open(path, &st), 0);
    static const char *const present[] = {
        "system.gpu.0.gpu", "system.gpu.0.memory", "system.gpu.0.memoryAllocated",
        "system.gpu.0.memoryAllocatedBytes", "system.gpu.0.temp", "system.gpu.1.gpu",
        "system.gpu.1.powerWatts", "system.gpu.1.powerPercent", "system.gpu.process.1.gpu",
        "system.gpu.process.1.memoryAllocatedBytes", "system.gpu.process.1.powerWatts",
        "system.cpu"};
    for (size_t i = 0; i < sizeof present / sizeof *present; i++) {
        const tally_metric_info *m = tally_store_find_metric(st, present[i]);
        if (!m || m->n < 1 || m->axis != TALLY_AXIS_TIME)
            fail_msg("%s: not stored as a time series", present[i]);
    }
    const tally_metric_info *m = tally_store_find_metric(st, "system.gpu.1.powerPercent");
    assert_float_equal(m->y_last, 50.0, 1e-9);
    m = tally_store_find_metric(st, "system.gpu.1.temp");
    assert_float_equal(m->y_last, 70.0, 0);
    /* GPU 0 has no power reading and runs nothing of ours */
    assert_null(tally_store_find_metric(st, "system.gpu.0.powerWatts"));
    assert_null(tally_store_find_metric(st, "system.gpu.process.0.gpu"));
    tally_store_close(st);
    unlink(path);
    free(path);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_library),
        cmocka_unit_test(test_missing_library),
        cmocka_unit_test(test_smi_csv),
        cmocka_unit_test(test_smi_missing),
        cmocka_unit_test(test_sampler_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
