/*
 * capture_printer.c — a program linked against libtally with console
 * capture on (the default), for capture_console.sh: prints numbered lines
 * on stdout and stderr through stdio and write(2), a progress bar, a long
 * line and binary bytes, some after tally_finish, and says where its run is
 * on fd 3 (not captured).
 *
 * usage: capture_printer STORE_DIR N [exit]
 * With "exit", it calls exit(0) right after its lines, never tally_finish:
 * the output must still all come out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tally.h"

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4)
        return 2;
    int n = atoi(argv[2]);
    tally_options o = {.dir = argv[1], .project = "console", .sample_ms = -1};
    tally_run *run = NULL;
    int rc = tally_init_ex(&o, &run);
    if (rc) {
        fprintf(stderr, "init: %s\n", tally_strerror(rc));
        return 1;
    }
    dprintf(3, "run %s\n", tally_run_path(run));
    for (int i = 0; i < n; i++) {
        printf("out %d\n", i);
        if (i % 10 == 0)
            fprintf(stderr, "err %d\n", i);
        if (i % 100 == 0) {
            char line[64];
            int len = snprintf(line, sizeof line, "raw %d\n", i);
            fflush(stdout);
            (void)!write(1, line, (size_t)len);
        }
    }
    if (argc == 4) {
        printf("exiting without tally_finish");
        exit(0);
    }
    for (int p = 0; p <= 100; p += 25)
        printf("\rprogress %3d%%", p);
    printf("\n");
    char *big = malloc(200001);
    memset(big, 'y', 200000);
    big[200000] = '\0';
    puts(big);
    free(big);
    fwrite("bin\0\xff\xfe\n", 1, 7, stdout);
    printf("last before finish\n");
    tally_log(run, "x", 1);
    rc = tally_finish(run, 0);
    printf("after finish\n");
    fprintf(stderr, "err after finish\n");
    return rc ? 1 : 0;
}
