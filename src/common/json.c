/*
 * json.c — the relaxed JSON reader and the exact JSON writer.
 *
 * cJSON reads strict JSON only.  Before parsing, bare non-finite tokens
 * outside strings are rewritten: ±Infinity as ±1e999 (which strtod reads
 * as ±inf) and NaN as a marker string that is turned back into a NaN
 * number once the tree is built.
 */
#include "common/json.h"

#include <math.h>
#include <string.h>

#include "common/numfmt.h"

#define NAN_MARK "\x01nan\x01"

static int ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Rewrites the tokens; returns 1 if any NaN marker was written. */
static int rewrite(const char *s, buf *out)
{
    int in_string = 0, nan = 0;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (in_string) {
            buf_putc(out, c);
            if (c == '\\' && s[i + 1])
                buf_putc(out, s[++i]);
            else if (c == '"')
                in_string = 0;
            continue;
        }
        int boundary = i == 0 || !ident(s[i - 1]);
        if (c == '"') {
            in_string = 1;
        } else if (boundary && strncmp(s + i, "NaN", 3) == 0 && !ident(s[i + 3])) {
            buf_puts(out, "\"" NAN_MARK "\"");
            i += 2;
            nan = 1;
            continue;
        } else if (boundary && strncmp(s + i, "Infinity", 8) == 0 && !ident(s[i + 8])) {
            buf_puts(out, "1e999");
            i += 7;
            continue;
        } else if (boundary && strncmp(s + i, "-Infinity", 9) == 0 && !ident(s[i + 9])) {
            buf_puts(out, "-1e999");
            i += 8;
            continue;
        }
        buf_putc(out, c);
    }
    return nan;
}

static void restore_nan(cJSON *v)
{
    for (; v; v = v->next) {
        if (cJSON_IsString(v) && strcmp(v->valuestring, NAN_MARK) == 0) {
            cJSON_free(v->valuestring);
            v->valuestring = NULL;
            v->type = cJSON_Number;
            v->valuedouble = NAN;
            v->valueint = 0;
        }
        restore_nan(v->child);
    }
}

cJSON *json_parse(const char *text)
{
    if (!text)
        return NULL;
    if (!strstr(text, "NaN") && !strstr(text, "Infinity"))
        return cJSON_Parse(text);
    buf b = BUF_INIT;
    int nan = rewrite(text, &b);
    cJSON *v = b.oom ? NULL : cJSON_Parse(buf_cstr(&b));
    buf_free(&b);
    if (v && nan)
        restore_nan(v);
    return v;
}

static void indent(buf *out, int pretty, int depth)
{
    if (!pretty)
        return;
    buf_putc(out, '\n');
    for (int i = 0; i < depth; i++)
        buf_puts(out, "  ");
}

static void write_value(buf *out, const cJSON *v, int pretty, int depth)
{
    if (cJSON_IsNumber(v)) {
        buf_json_double(out, v->valuedouble);
    } else if (cJSON_IsString(v)) {
        buf_json_string(out, v->valuestring);
    } else if (cJSON_IsBool(v)) {
        buf_puts(out, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsRaw(v)) {
        buf_puts(out, v->valuestring);
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        int obj = cJSON_IsObject(v);
        buf_putc(out, obj ? '{' : '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            indent(out, pretty, depth + 1);
            if (obj) {
                buf_json_string(out, c->string ? c->string : "");
                buf_puts(out, pretty ? ": " : ":");
            }
            write_value(out, c, pretty, depth + 1);
            if (c->next)
                buf_putc(out, ',');
        }
        if (v->child)
            indent(out, pretty, depth);
        buf_putc(out, obj ? '}' : ']');
    } else {
        buf_puts(out, "null");
    }
}

void json_write(buf *out, const cJSON *v, int pretty) { write_value(out, v, pretty, 0); }
