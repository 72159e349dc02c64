/*
 * keys.c — what a metric, summary or config key may be: 1 to TALLY_KEY_MAX
 * bytes of UTF-8 with no control characters.  Checked once, the first time
 * a key is seen; the key table remembers the good ones.
 */
#include <string.h>

#include "common/text.h"
#include "core/run_internal.h"

int key_check(const char *key, size_t *len)
{
    if (!key)
        return TALLY_EINVAL;
    size_t n = strnlen(key, TALLY_KEY_MAX + 1);
    if (n == 0 || n > TALLY_KEY_MAX)
        return TALLY_EKEY;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c < 0x20 || c == 0x7f)
            return TALLY_EKEY;
    }
    if (!utf8_valid(key, n))
        return TALLY_EKEY;
    if (len)
        *len = n;
    return TALLY_OK;
}

int key_reserved(const char *key)
{
    return strcmp(key, "_step") == 0 || strcmp(key, "_runtime") == 0 ||
           strcmp(key, "_timestamp") == 0;
}
