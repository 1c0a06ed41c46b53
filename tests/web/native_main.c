/* The web front end and file layer built natively (gcc, the file OSAL) for tests: one
 * connection's bytes come from stdin in chunks of CHUNK bytes and its replies go to stdout, each
 * web_handle call writing at most CAP bytes; stops when the connection closes. The page cache's
 * counters go to stderr. Usage: web-native VOLUME CACHE_PAGES CHUNK CAP */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "osal.h"
#include "files.h"
#include "http.h"

int main(int argc, char **argv) {
    static char in[1 << 24];
    struct files_counters k;
    struct stat st;
    struct web_conn *c;
    char *out;
    unsigned chunk, cap, at = 0;
    size_t n;
    int rc;
    if (argc != 5 || stat(argv[1], &st) != 0) { fprintf(stderr, "usage: web-native VOLUME CACHE_PAGES CHUNK CAP\n"); return 2; }
    chunk = (unsigned)atoi(argv[3]);
    cap = (unsigned)atoi(argv[4]);
    if (osal_native_open(argv[1], (unsigned)(st.st_size / OSAL_SECTOR)) < 0) return 2;
    rc = files_mount((unsigned)atoi(argv[2]));
    if (rc < 0) { fprintf(stderr, "mount failed: %d\n", rc); return 1; }
    n = fread(in, 1, sizeof in, stdin);
    c = web_conn_new();
    out = malloc(cap);
    while (!web_conn_closing(c)) {
        unsigned len = at < n ? (unsigned)(n - at < chunk ? n - at : chunk) : 0;
        int m = web_handle(c, in + at, len, out, cap);
        at += len;
        while (m > 0) {
            fwrite(out, 1, (size_t)m, stdout);
            m = web_handle(c, NULL, 0, out, cap);
        }
        if (at >= n) break;
    }
    files_get_counters(&k);
    fprintf(stderr, "hits %u misses %u pages %u bytes %llu closed %d\n", k.hits, k.misses, k.pages, k.bytes, web_conn_closing(c));
    return 0;
}
