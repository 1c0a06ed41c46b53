/* The native test driver: `driver FILE SECTORS [CRASH_AFTER SEED]`, commands on stdin, one
 * line of output each, flushed at once (a test that kills the process knows what was
 * acknowledged). At the end, the number of sectors written goes to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include "osal.h"
#include "driver.h"

static char line[140000];

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: driver FILE SECTORS [CRASH_AFTER SEED]\n"); return 2; }
    if (osal_native_open(argv[1], (unsigned)atoi(argv[2])) < 0) { fprintf(stderr, "driver: cannot open %s\n", argv[1]); return 1; }
    if (argc >= 5) osal_native_crash_after((unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
    while (fgets(line, sizeof line, stdin)) {
        driver_line(line);
        fflush(stdout);
    }
    fprintf(stderr, "sector writes: %u\n", osal_native_sector_writes());
    osal_native_close();
    return 0;
}
