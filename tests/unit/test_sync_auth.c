/*
 * test_sync_auth.c — src/sync/auth.c: netrc parsing (machines, default,
 * quotes, comments, macdef), rewriting one entry while keeping the rest,
 * key validation, the netrc machine of a base URL, and where the key is
 * looked up ($WANDB_API_KEY, $NETRC) and stored (mode 0600).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sync/auth.h"
#include "sync/sync_error.h"
#include "tally.h"

#define KEY40 "0123456789abcdef0123456789abcdef01234567"

static char *lookup(const char *text, const char *machine)
{
    char *pw = NULL;
    int rc = auth_netrc_lookup(text, machine, &pw);
    assert_true(rc == 0 || rc == TALLY_ENOTFOUND);
    return pw;
}

static void test_netrc_lookup(void **state)
{
    (void)state;
    const char *text = "# my netrc\n"
                       "machine github.com login me password gh-token\n"
                       "machine api.wandb.ai\n  login user\n  password " KEY40 "\n"
                       "machine localhost:8080 login user password \"quoted key\"\n"
                       "macdef init\ncd /tmp\nmachine fake password nope\n\n"
                       "default login anon password fallback\n";
    char *pw = lookup(text, "api.wandb.ai");
    assert_string_equal(pw, KEY40);
    free(pw);
    pw = lookup(text, "localhost:8080");
    assert_string_equal(pw, "quoted key");
    free(pw);
    pw = lookup(text, "github.com");
    assert_string_equal(pw, "gh-token");
    free(pw);
    /* Inside a macro is not an entry; an unknown host gets "default". */
    pw = lookup(text, "fake");
    assert_string_equal(pw, "fallback");
    free(pw);
    pw = lookup("machine a password x\n", "b");
    assert_null(pw);
    pw = lookup("", "a");
    assert_null(pw);
    pw = lookup("machine a login u password", "a"); /* truncated */
    assert_null(pw);
}

static void test_netrc_update(void **state)
{
    (void)state;
    buf out = BUF_INIT;
    const char *text = "machine github.com\n  login me\n  password gh\n"
                       "machine api.wandb.ai login user password OLDKEY\n"
                       "machine other password x\n";
    assert_int_equal(auth_netrc_update(text, "api.wandb.ai", "user", KEY40, &out), 0);
    const char *s = buf_cstr(&out);
    assert_null(strstr(s, "OLDKEY"));
    assert_non_null(strstr(s, "machine github.com\n  login me\n  password gh\n"));
    assert_non_null(strstr(s, "machine other password x\n"));
    char *pw = lookup(s, "api.wandb.ai");
    assert_string_equal(pw, KEY40);
    free(pw);
    pw = lookup(s, "other");
    assert_string_equal(pw, "x");
    free(pw);
    /* Adding to an empty or a missing file. */
    assert_int_equal(auth_netrc_update("", "h:1", "user", KEY40, &out), 0);
    assert_string_equal(buf_cstr(&out), "machine h:1\n  login user\n  password " KEY40 "\n");
    /* Updating twice keeps one entry. */
    buf again = BUF_INIT;
    assert_int_equal(auth_netrc_update(buf_cstr(&out), "h:1", "user", "k2", &again), 0);
    const char *a = buf_cstr(&again);
    assert_null(strstr(a, KEY40));
    assert_non_null(strstr(a, "k2"));
    const char *first = strstr(a, "machine h:1");
    assert_non_null(first);
    assert_null(strstr(first + 1, "machine h:1")); /* one entry, not two */
    buf_free(&again);
    buf_free(&out);
}

static void test_key_valid(void **state)
{
    (void)state;
    assert_true(auth_key_valid(KEY40));
    assert_true(auth_key_valid("local-" KEY40));
    assert_false(auth_key_valid("short"));
    assert_false(auth_key_valid("local-short"));
    assert_false(auth_key_valid(KEY40 " "));
    assert_false(auth_key_valid("0123456789abcdef0123456789abcdef0123456$"));
    assert_false(auth_key_valid(NULL));
}

static void test_machine(void **state)
{
    (void)state;
    char m[64];
    assert_int_equal(auth_machine("https://api.wandb.ai", m, sizeof m), 0);
    assert_string_equal(m, "api.wandb.ai");
    assert_int_equal(auth_machine("http://127.0.0.1:8080/", m, sizeof m), 0);
    assert_string_equal(m, "127.0.0.1:8080");
    assert_int_equal(auth_machine("https://u@wandb.corp:443/x?y", m, sizeof m), 0);
    assert_string_equal(m, "wandb.corp:443");
    assert_int_equal(auth_machine("https://", m, sizeof m), TALLY_EINVAL);
    buf b = BUF_INIT;
    unsetenv("WANDB_BASE_URL");
    auth_base_url(NULL, &b);
    assert_string_equal(buf_cstr(&b), "https://api.wandb.ai");
    auth_base_url("http://h:1//", &b);
    assert_string_equal(buf_cstr(&b), "http://h:1");
    buf_free(&b);
}

static void test_key_sources_and_store(void **state)
{
    (void)state;
    char dir[] = "/tmp/tally-auth-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/netrc", dir);
    setenv("NETRC", path, 1);
    unsetenv("WANDB_API_KEY");
    char *key = NULL;
    assert_int_equal(auth_api_key("http://127.0.0.1:5000", &key), SYNC_ENOKEY);
    assert_int_equal(auth_store_key("http://127.0.0.1:5000", "bad"), TALLY_EINVAL);
    assert_int_equal(auth_store_key("http://127.0.0.1:5000", KEY40), 0);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(auth_api_key("http://127.0.0.1:5000", &key), 0);
    assert_string_equal(key, KEY40);
    free(key);
    /* Another port is another machine. */
    assert_int_equal(auth_api_key("http://127.0.0.1:5001", &key), SYNC_ENOKEY);
    /* The environment wins. */
    setenv("WANDB_API_KEY", "from-env", 1);
    assert_int_equal(auth_api_key("http://127.0.0.1:5000", &key), 0);
    assert_string_equal(key, "from-env");
    free(key);
    unsetenv("WANDB_API_KEY");
    unsetenv("NETRC");
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_netrc_lookup), cmocka_unit_test(test_netrc_update),
        cmocka_unit_test(test_key_valid),    cmocka_unit_test(test_machine),
        cmocka_unit_test(test_key_sources_and_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
