/*
 * test_sync_media.c — the media side of sync (src/sync/media.c): the list
 * of files a request's rows name (each path once, across growth), the
 * room their names take in "uploaded", and a row's files merged into the
 * request's.  The walk and the config's charts run against real run files
 * in tests/integration/sync_media.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "sync/filestream.h"
#include "sync/media.h"

static const char sha[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void test_list_once(void **state)
{
    (void)state;
    sync_media_list l = {0};
    assert_false(sync_media_list_has(&l, "media/images/a.png"));
    assert_int_equal(sync_media_list_add(&l, "media/images/a.png", sha, 10), 1);
    assert_int_equal(sync_media_list_add(&l, "media/images/a.png", sha, 10), 0);
    assert_int_equal(sync_media_list_add(&l, "media/table/t.table.json", sha, 20), 1);
    assert_int_equal(l.n, 2);
    assert_true(sync_media_list_has(&l, "media/images/a.png"));
    assert_string_equal(l.v[1].path, "media/table/t.table.json");
    assert_string_equal(l.v[1].sha256, sha);
    assert_int_equal(l.v[1].size, 20);
    assert_int_equal(l.v[1].listed, 0);
    sync_media_list_reset(&l);
    assert_int_equal(l.n, 0);
    assert_false(sync_media_list_has(&l, "media/images/a.png"));
    assert_int_equal(sync_media_list_add(&l, "media/images/a.png", sha, 10), 1);
    sync_media_list_free(&l);
}

/* Thousands of paths: the table grows and every one is still found once,
 * in the order added. */
static void test_list_growth(void **state)
{
    (void)state;
    sync_media_list l = {0};
    char path[64];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 5000; i++) {
            snprintf(path, sizeof path, "media/images/k_%d_%020d.png", i, i);
            assert_int_equal(sync_media_list_add(&l, path, sha, i), round == 0 ? 1 : 0);
        }
    assert_int_equal(l.n, 5000);
    for (int i = 0; i < 5000; i += 7) {
        snprintf(path, sizeof path, "media/images/k_%d_%020d.png", i, i);
        assert_true(sync_media_list_has(&l, path));
        assert_string_equal(l.v[i].path, path);
    }
    assert_false(sync_media_list_has(&l, "media/images/k_5000.png"));
    sync_media_list_free(&l);
}

/* A row's files: the dry merge prices only the new ones and adds nothing;
 * the real one adds them; move hands the list over whole. */
static void test_list_merge(void **state)
{
    (void)state;
    sync_media_list batch = {0}, row = {0}, moved = {0};
    assert_int_equal(sync_media_list_add(&batch, "media/images/shared.png", sha, 1), 1);
    assert_int_equal(sync_media_list_add(&row, "media/images/shared.png", sha, 1), 1);
    assert_int_equal(sync_media_list_add(&row, "media/audio/a_3_x.wav", sha, 2), 1);
    size_t cost = 99;
    assert_int_equal(sync_media_list_merge(&batch, &row, &cost, 1), 0);
    assert_int_equal(cost, fstream_uploaded_cost("media/audio/a_3_x.wav"));
    assert_int_equal(batch.n, 1);
    assert_int_equal(sync_media_list_merge(&batch, &row, &cost, 0), 0);
    assert_int_equal(cost, fstream_uploaded_cost("media/audio/a_3_x.wav"));
    assert_int_equal(batch.n, 2);
    assert_int_equal(sync_media_list_merge(&batch, &row, &cost, 0), 0);
    assert_int_equal(cost, 0);
    sync_media_list_move(&batch, &moved);
    assert_int_equal(batch.n, 0);
    assert_int_equal(moved.n, 2);
    assert_true(sync_media_list_has(&moved, "media/audio/a_3_x.wav"));
    assert_int_equal(sync_media_list_add(&batch, "media/audio/a_3_x.wav", sha, 2), 1);
    sync_media_list_free(&batch);
    sync_media_list_free(&row);
    sync_media_list_free(&moved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_once),
        cmocka_unit_test(test_list_growth),
        cmocka_unit_test(test_list_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
