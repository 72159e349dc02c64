/*
 * test_sync_auth.c — src/sync/auth.c: netrc parsing (machines, default,
 * quotes, comments, macdef), rewriting one entry while keeping the rest,
 * key validation, the netrc machine of a base URL, credentials cut out of
 * base URLs, what `tally login --host` accepts, where the key is looked up
 * ($WANDB_API_KEY, $NETRC) and stored (mode 0600, through a symlinked
 * netrc), and the process being non-dumpable while a key is held.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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
    assert_int_equal(auth_machine("http://[::1]:8080/x", m, sizeof m), 0);
    assert_string_equal(m, "[::1]:8080");
    assert_int_equal(auth_machine("http://h\"x:1", m, sizeof m), TALLY_EINVAL);
    assert_int_equal(auth_machine("http://h:0", m, sizeof m), TALLY_EINVAL);
    assert_int_equal(auth_machine("http://h:65536", m, sizeof m), TALLY_EINVAL);
    buf b = BUF_INIT;
    unsetenv("WANDB_BASE_URL");
    assert_int_equal(auth_base_url(NULL, &b, NULL), 0);
    assert_string_equal(buf_cstr(&b), "https://api.wandb.ai");
    assert_int_equal(auth_base_url("http://h:1//", &b, NULL), 0);
    assert_string_equal(buf_cstr(&b), "http://h:1");
    buf_free(&b);
}

static void test_base_url_credentials(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    char *key = NULL;
    /* The password is taken out as the key; the URL keeps no trace of it. */
    assert_int_equal(auth_base_url("http://api:" KEY40 "@127.0.0.1:9/base/", &b, &key), 0);
    assert_string_equal(buf_cstr(&b), "http://127.0.0.1:9/base");
    assert_non_null(key);
    assert_string_equal(key, KEY40);
    free(key);
    /* From the environment too, and a user without a password gives no key. */
    setenv("WANDB_BASE_URL", "https://someone@wandb.corp", 1);
    assert_int_equal(auth_base_url(NULL, &b, &key), 0);
    assert_string_equal(buf_cstr(&b), "https://wandb.corp");
    assert_null(key);
    unsetenv("WANDB_BASE_URL");
    /* An '@' in the path is not userinfo. */
    assert_int_equal(auth_base_url("http://h:1/a@b", &b, &key), 0);
    assert_string_equal(buf_cstr(&b), "http://h:1/a@b");
    assert_null(key);
    /* Refused: blanks and control characters, other schemes. */
    assert_int_equal(auth_base_url("http://h:1\nmachine evil", &b, &key), TALLY_EINVAL);
    assert_int_equal(auth_base_url("http://h 1", &b, &key), TALLY_EINVAL);
    assert_int_equal(auth_base_url("file:///etc/passwd", &b, &key), TALLY_EINVAL);
    assert_int_equal(auth_base_url("HTTPS://H", &b, &key), 0);
    /* Refused: no server left once the credentials are out, or none at all
     * (these became requests to "https:/graphql"), and no key handed back. */
    static const char *const hostless[] = {"https://api:" KEY40 "@", "https://api:" KEY40 "@/x",
                                           "http://:8080", "http://", "http://h:0", "http://h:x"};
    for (size_t i = 0; i < sizeof hostless / sizeof *hostless; i++) {
        assert_int_equal(auth_base_url(hostless[i], &b, &key), TALLY_EINVAL);
        assert_null(key);
    }
    buf_free(&b);
}

static void test_login_machine(void **state)
{
    (void)state;
    char m[64];
    static const char *const good[][2] = {
        {"wandb.corp", "wandb.corp"},         {"wandb.corp:8443", "wandb.corp:8443"},
        {"https://wandb.corp", "wandb.corp"}, {"http://127.0.0.1:8080/", "127.0.0.1:8080"},
        {"[::1]:80", "[::1]:80"},             {"my_host-1", "my_host-1"}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        assert_int_equal(auth_login_machine(good[i][0], m, sizeof m), 0);
        assert_string_equal(m, good[i][1]);
    }
    static const char *const bad[] = {
        "",  "host\nmachine evil login x password y", "host name", "host\t", "api:k@host",
        "host/path", "https://host/path", "ftp://host", "host:", "host:99999", "host:8x",
        "\"host\"", "#host", "[::1", "http://", "host\r"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(auth_login_machine(bad[i], m, sizeof m), TALLY_EINVAL);
}

/* The characters a netrc machine name (and so a login host) may hold. */
static void assert_machine_chars(const char *m)
{
    assert_true(m[0] != '\0');
    for (const char *p = m; *p; p++)
        assert_non_null(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:[]",
                               *p));
}

static void test_url_fuzz(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "http://", "https://", "ftp://", "api", ":", "@", "/", "?", "#", "[", "]", "::1",
        "127.0.0.1", "host", "-", "_", ".", "8080", "99999", "0", "\n", "\r", " ", "\t",
        "\x1b", "\"", "%40", "\xc3\xa9", KEY40};
    uint64_t rng = 0x2545f4914f6cdd1dull;
    char in[160];
    buf b = BUF_INIT;
    for (int iter = 0; iter < 50000; iter++) {
        size_t n = 0;
        int parts = (int)(rng % 9);
        for (int k = 0; k < parts; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            const char *piece = pieces[(rng >> 33) % (sizeof pieces / sizeof *pieces)];
            size_t len = strlen(piece);
            if (n + len >= sizeof in)
                break;
            memcpy(in + n, piece, len);
            n += len;
        }
        in[n] = '\0';
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        char m[256], again[256], *key = NULL;
        if (auth_base_url(in, &b, &key) == 0) {
            const char *out = buf_cstr(&b);
            for (const char *p = out; *p; p++)
                assert_true((unsigned char)*p > ' ' && *p != 0x7f);
            /* No credentials are left in the authority, and no key anywhere. */
            const char *auth = strstr(out, "://");
            auth = auth ? auth + 3 : out;
            const char *at = strchr(auth, '@');
            assert_true(!at || at >= auth + strcspn(auth, "/?#"));
            /* A key that was in the input once is gone from the URL. */
            const char *once = strstr(in, KEY40);
            if (key && strcmp(key, KEY40) == 0 && !strstr(once + 1, KEY40))
                assert_null(strstr(out, KEY40));
            free(key);
            /* An accepted URL always names a server. */
            assert_int_equal(auth_machine(out, m, sizeof m), 0);
            assert_machine_chars(m);
        } else {
            assert_null(key);
        }
        if (auth_login_machine(in, m, sizeof m) == 0) {
            assert_machine_chars(m);
            /* What login stores is what sync looks up for that server. */
            char url[300];
            snprintf(url, sizeof url, "http://%s/", m);
            assert_int_equal(auth_machine(url, again, sizeof again), 0);
            assert_string_equal(again, m);
        }
    }
    buf_free(&b);
}

static void test_dumpable_while_held(void **state)
{
    (void)state;
    assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
    auth_key_hold();
    assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
    auth_key_hold(); /* a second holder */
    auth_key_release();
    assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
    auth_key_release();
    assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
    auth_key_release(); /* unbalanced: harmless */
    assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
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
    buf written = BUF_INIT;
    assert_int_equal(auth_store_key("127.0.0.1:5000", "bad", &written), TALLY_EINVAL);
    assert_int_equal(auth_store_key("127.0.0.1:5000\nmachine x", KEY40, &written), TALLY_EINVAL);
    assert_int_equal(auth_store_key("127.0.0.1:5000", KEY40, &written), 0);
    assert_string_equal(buf_cstr(&written), path);
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

    /* A symlinked netrc: the link stays a link, its target gets the entry. */
    char target[160], link[160];
    snprintf(target, sizeof target, "%s/dotfiles-netrc", dir);
    snprintf(link, sizeof link, "%s/netrc-link", dir);
    assert_int_equal(rename(path, target), 0);
    assert_int_equal(symlink("dotfiles-netrc", link), 0);
    setenv("NETRC", link, 1);
    assert_int_equal(auth_store_key("other.host", KEY40, &written), 0);
    struct stat lsb;
    assert_int_equal(lstat(link, &lsb), 0);
    assert_true(S_ISLNK(lsb.st_mode));
    char *real = realpath(target, NULL);
    assert_string_equal(buf_cstr(&written), real);
    free(real);
    assert_int_equal(auth_api_key("http://other.host", &key), 0);
    free(key);
    assert_int_equal(auth_api_key("http://127.0.0.1:5000", &key), 0); /* kept */
    free(key);
    /* A dangling link is refused, and not replaced. */
    assert_int_equal(unlink(target), 0);
    assert_int_equal(auth_store_key("other.host", KEY40, &written), TALLY_ENOTFOUND);
    assert_int_equal(lstat(link, &lsb), 0);
    assert_true(S_ISLNK(lsb.st_mode));
    assert_int_equal(access(target, F_OK), -1);
    buf_free(&written);
    unlink(link);
    unsetenv("NETRC");
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_netrc_lookup), cmocka_unit_test(test_netrc_update),
        cmocka_unit_test(test_key_valid),    cmocka_unit_test(test_machine),
        cmocka_unit_test(test_key_sources_and_store), cmocka_unit_test(test_base_url_credentials),
        cmocka_unit_test(test_login_machine), cmocka_unit_test(test_url_fuzz),
        cmocka_unit_test(test_dumpable_while_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
