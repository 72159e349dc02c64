/*
 * test_capture_procfs.c — the /proc parsers of src/capture/procfs.c on
 * recorded samples (tests/unit/data/proc_*.txt): CPU lines and the busy
 * share between two readings, a stat line whose command holds spaces and
 * parentheses, meminfo with and without MemAvailable, net/dev without lo;
 * and the git URL scrubber (src/capture/gitinfo.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/gitinfo.h"
#include "capture/procfs.h"

static char text[1 << 16];

static const char *sample(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", TEST_DATA, name);
    long n = procfs_read(path, text, sizeof text);
    assert_true(n > 0);
    return text;
}

static void test_stat(void **state)
{
    (void)state;
    procfs_cpu cpu[8];
    size_t n = procfs_parse_stat(sample("proc_stat.txt"), cpu, 8);
    assert_int_equal(n, 5); /* all + cpu0..cpu3 */
    assert_true(cpu[0].total == 78627 + 10 + 39931 + 3710047 + 1020 + 235 + 78);
    assert_true(cpu[0].idle == 3710047 + 1020);
    assert_true(cpu[3].total == 1000 && cpu[3].idle == 800);

    /* a later reading: cpu2 busy for 150 of 200 ticks */
    procfs_cpu later = {cpu[3].total + 200, cpu[3].idle + 50};
    assert_float_equal(procfs_cpu_percent(&cpu[3], &later), 75.0, 1e-9);
    assert_float_equal(procfs_cpu_percent(&cpu[3], &cpu[3]), 0.0, 0);
    procfs_cpu back = {cpu[3].total - 1, 0};
    assert_float_equal(procfs_cpu_percent(&cpu[3], &back), 0.0, 0);

    /* too small an array, a cut text, junk */
    assert_int_equal(procfs_parse_stat(text, cpu, 2), 2);
    assert_int_equal(procfs_parse_stat("cpu  1 2 3 4 5 6 7", cpu, 8), 0);
    assert_int_equal(procfs_parse_stat("garbage\n", cpu, 8), 0);
    assert_int_equal(procfs_parse_stat("", cpu, 8), 0);
}

static void test_pid_stat(void **state)
{
    (void)state;
    procfs_pid_stat st;
    assert_int_equal(procfs_parse_pid_stat(sample("proc_pid_stat.txt"), &st), 0);
    assert_int_equal(st.pid, 4242);
    assert_int_equal(st.ppid, 4158);
    assert_int_equal(st.state, 'S');
    assert_int_equal(st.utime, 1234);
    assert_int_equal(st.stime, 567);
    assert_int_equal(st.threads, 17);
    assert_int_equal(st.rss_pages, 2560);

    assert_int_not_equal(procfs_parse_pid_stat("", &st), 0);
    assert_int_not_equal(procfs_parse_pid_stat("12 (x) S 1 2 3", &st), 0);
    assert_int_not_equal(procfs_parse_pid_stat("12 no parens", &st), 0);

    /* this very process, live */
    assert_true(procfs_read("/proc/self/stat", text, sizeof text) > 0);
    assert_int_equal(procfs_parse_pid_stat(text, &st), 0);
    assert_true(st.threads >= 1);
}

static void test_meminfo(void **state)
{
    (void)state;
    procfs_mem m;
    assert_int_equal(procfs_parse_meminfo(sample("proc_meminfo.txt"), &m), 0);
    assert_true(m.total_kb == 16318412 && m.available_kb == 8159206);
    assert_int_equal(procfs_parse_meminfo(sample("proc_meminfo_old.txt"), &m), 0);
    assert_true(m.total_kb == 2048000 && m.available_kb == 512000 + 128000 + 384000);
    assert_int_not_equal(procfs_parse_meminfo("MemFree: 1 kB\n", &m), 0);
}

static void test_net_dev(void **state)
{
    (void)state;
    uint64_t rx, tx;
    assert_int_equal(procfs_parse_net_dev(sample("proc_net_dev.txt"), &rx, &tx), 0);
    assert_true(rx == 123456789ull + 1000);
    assert_true(tx == 98765432ull + 2000);
    assert_int_not_equal(procfs_parse_net_dev("Inter-|\n face |\n", &rx, &tx), 0);
}

static void test_strip_url(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"https://user:secret@host/x.git", "https://host/x.git"},
        {"https://token@github.com/o/r", "https://github.com/o/r"},
        {"ssh://git@host:22/r.git", "ssh://host:22/r.git"},
        {"https://a:b@c@host/p@q", "https://host/p@q"},
        {"git@github.com:o/r.git", "git@github.com:o/r.git"},
        {"/srv/git/r.git", "/srv/git/r.git"},
        {"https://host/x.git", "https://host/x.git"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *s = gitinfo_strip_url(cases[i][0]);
        assert_string_equal(s, cases[i][1]);
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stat),     cmocka_unit_test(test_pid_stat),
        cmocka_unit_test(test_meminfo),  cmocka_unit_test(test_net_dev),
        cmocka_unit_test(test_strip_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
