/*
 * fuzz_tui.c — a fuzz target for what the dashboard parses from untrusted
 * text: the runs browser's filter expressions (runquery.c), matched against
 * a run with nested summary and config, and console lines with SGR colour
 * codes (logline.c), drawn wrapped and scrolled into a small canvas.
 * Checks what must always hold: no crash; a rejected expression says why;
 * a match is 0 or 1; sgr_parse consumes nothing or a whole "ESC [ ... m";
 * no ESC, C1 CSI or BEL reaches a cell, and nothing is drawn outside the
 * rectangle.  Also the terminal's answer to the graphics query
 * (termcaps.c: flags are 0 or 1, "done" only with a DA1 reply) and a table
 * cell as the media tab shows it (tablemodel.c: its text drawn holds no
 * escape).  Built by `make fuzz` (tests/fuzz/README.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "tui/logline.h"
#include "tui/runquery.h"
#include "tui/tablemodel.h"
#include "tui/termcaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static runquery_run *sample(void)
{
    static runquery_run r;
    static int ready;
    if (!ready) {
        cJSON *summary = json_parse("{\"val/loss\":{\"min\":0.2,\"last\":0.25},\"acc\":0.9}");
        cJSON *config = json_parse("{\"lr\":0.001,\"opt\":{\"name\":\"adam\"},\"amp\":true}");
        cJSON *tags = json_parse("[\"baseline\",\"gpu\"]");
        if (!summary || !config || !tags)
            abort();
        r = (runquery_run){"sweep-3", "vision", "abc123", "g1", "train", "notes", "finished",
                           tags, summary, config};
        ready = 1;
    }
    return &r;
}

static void expression(const char *text)
{
    char err[160] = "";
    runquery *q = runquery_parse(text, err, sizeof err);
    if (!q) {
        if (!err[0])
            abort();
        return;
    }
    runquery_run empty = {0};
    int a = runquery_match(q, sample()), b = runquery_match(q, &empty);
    if ((a != 0 && a != 1) || (b != 0 && b != 1))
        abort();
    runquery_free(q);
}

static void console_line(const char *text, size_t n)
{
    sgr_style st = {0, 0};
    size_t used = sgr_parse(text, n, &st);
    if (used && (used < 3 || used > n || text[used - 1] != 'm' || text[0] != '\x1b'))
        abort();
    static canvas c;
    if (!c.cells && canvas_resize(&c, 24, 6) != 0)
        abort();
    for (int wrap = 0; wrap < 2; wrap++) {
        canvas_clear(&c);
        int rows = logline_draw(&c, 2, 1, 20, 4, text, CANVAS_RED, 0, (int)(n % 37), wrap, 1);
        if (rows < 1 || rows > 4)
            abort();
        for (int y = 0; y < c.h; y++)
            for (int x = 0; x < c.w; x++) {
                const canvas_cell *cell = canvas_at(&c, x, y);
                if (cell->ch == 0x1b || cell->ch == 0x9b || cell->ch == 0x07)
                    abort();
                if ((x < 2 || x >= 22 || y == 0 || y == 5) && cell->ch != ' ')
                    abort();
            }
    }
}

static void media_inputs(const char *bytes, size_t n, const char *text)
{
    termcaps_reply r;
    termcaps_parse_reply(bytes, n, &r);
    if ((r.answered | r.kitty | r.sixel) > 1 || r.answered != termcaps_reply_done(bytes, n) ||
        (r.sixel && !r.answered))
        abort();
    buf b = BUF_INIT;
    double num;
    char *sha = NULL;
    tablemodel_cell_text(text, &b, &num, &sha);
    if (sha && strlen(sha) != 64)
        abort();
    free(sha);
    static canvas c;
    if (!c.cells && canvas_resize(&c, 16, 2) != 0)
        abort();
    canvas_clear(&c);
    canvas_text(&c, 0, 0, 16, buf_cstr(&b), 0, 0);
    for (int x = 0; x < c.w; x++) {
        uint32_t ch = canvas_at(&c, x, 0)->ch;
        if (ch == 0x1b || ch == 0x9b || ch == 0x07)
            abort();
    }
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    expression(text);
    console_line(text, strlen(text));
    media_inputs((const char *)data, size, text);
    free(text);
    return 0;
}
