/*
 * text.c — UTF-8 validation and the terminal-safety gate.
 */
#include "common/text.h"

#include <string.h>
#include <wchar.h>

size_t utf8_decode(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    if (n == 0)
        return 0;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    size_t len;
    uint32_t c, min;
    if ((p[0] & 0xe0) == 0xc0) {
        len = 2, c = p[0] & 0x1f, min = 0x80;
    } else if ((p[0] & 0xf0) == 0xe0) {
        len = 3, c = p[0] & 0x0f, min = 0x800;
    } else if ((p[0] & 0xf8) == 0xf0) {
        len = 4, c = p[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

int utf8_valid(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (len == 0)
            return 0;
        i += len;
    }
    return 1;
}

int text_unsafe(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

void text_sanitize(buf *out, const char *s, size_t n, unsigned flags)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) {
            size_t j = i + 1;
            while (j < n && (unsigned char)s[j] >= 0x20 && (unsigned char)s[j] < 0x7f)
                j++;
            buf_append(out, s + i, j - i);
            i = j;
            continue;
        }
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (len == 0) {
            buf_puts(out, (flags & TEXT_ASCII) ? "?" : "\xef\xbf\xbd");
            i++;
            continue;
        }
        if (cp == '\t')
            buf_putc(out, (flags & TEXT_KEEP_TAB) ? '\t' : ' ');
        else if (cp == '\n' && (flags & TEXT_KEEP_NL))
            buf_putc(out, '\n');
        else if (text_unsafe(cp))
            buf_putc(out, '?');
        else if (flags & TEXT_ASCII)
            buf_putc(out, '?');
        else
            buf_append(out, s + i, len);
        i += len;
    }
}

void text_utf8_copy(char *out, size_t size, const char *s)
{
    if (size == 0)
        return;
    size_t used = 0, n = strlen(s), i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        const char *piece = len ? s + i : "\xef\xbf\xbd";
        size_t plen = len ? len : 3;
        if (used + plen >= size)
            break;
        memcpy(out + used, piece, plen);
        used += plen;
        i += len ? len : 1;
    }
    out[used] = '\0';
}

int text_width(const char *s)
{
    int width = 0;
    size_t n = 0;
    while (s[n])
        n++;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (len == 0) {
            width++;
            i++;
            continue;
        }
        int w = cp < 0x80 ? 1 : wcwidth((wchar_t)cp);
        width += w < 0 ? 1 : w;
        i += len;
    }
    return width;
}
