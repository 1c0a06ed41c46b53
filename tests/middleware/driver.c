/* The test driver's command interpreter, shared by the native (gcc) and the hosted (vamos cc)
 * builds: one command per line in, one line out. Keys and values are hex ("." is empty).
 *
 *   open POOL | close | commit | count | stats
 *   put K V | get K | del K | scan START END|- LIMIT | scanb START END|- LIMIT [CAP]
 *   resp HEX      feed bytes to the RESP front end; prints "resp " + the reply bytes in hex
 *   respq TEXT    the same with the request as C-escaped text, reply printed escaped
 *   respn CAP HEX the same with replies in buffers of CAP bytes: "resp CALLS HEX" (calls made)
 *   bench set|get|setnop|getnop N KEYS   N RESP SETs (100-byte values) or GETs of keys key:0..KEYS-1, one
 *                          request per server_handle call, replies checked, not printed; the
 *                          nop forms only build the requests (to subtract the driver's share) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "server.h"
#include "driver.h"

static engine *db;
static struct server_conn *conn;
static unsigned char kbuf[ENGINE_KEY_MAX + 8], vbuf[ENGINE_VALUE_MAX + 8];
static unsigned char io[70000], reply[70000];

static int unhex(const char *s, unsigned char *out, unsigned cap) {
    unsigned n = 0;
    if (strcmp(s, ".") == 0) return 0;
    while (s[0] && s[1]) {
        char t[3];
        if (n >= cap) return -1;
        t[0] = s[0]; t[1] = s[1]; t[2] = 0;
        out[n++] = (unsigned char)strtol(t, 0, 16);
        s += 2;
    }
    return s[0] ? -1 : (int)n;
}

static void hex(const unsigned char *p, unsigned n) {
    unsigned i;
    if (!n) printf(".");
    for (i = 0; i < n; i++) printf("%02x", p[i]);
}

static int unescape(const char *s, unsigned char *out) {
    int n = 0;
    while (*s) {
        if (*s == '\\' && s[1]) {
            s++;
            if (*s == 'r') out[n++] = '\r';
            else if (*s == 'n') out[n++] = '\n';
            else if (*s == 'x' && s[1] && s[2]) {
                char t[3];
                t[0] = s[1]; t[1] = s[2]; t[2] = 0;
                out[n++] = (unsigned char)strtol(t, 0, 16);
                s += 2;
            } else out[n++] = (unsigned char)*s;
            s++;
        } else out[n++] = (unsigned char)*s++;
    }
    return n;
}

static void escaped(const unsigned char *p, unsigned n) {
    unsigned i;
    for (i = 0; i < n; i++) {
        if (p[i] == '\r') printf("\\r");
        else if (p[i] == '\n') printf("\\n");
        else if (p[i] == '\\') printf("\\\\");
        else if (p[i] < 32 || p[i] > 126) printf("\\x%02x", p[i]);
        else printf("%c", p[i]);
    }
}

static int print_kv(void *arg, const void *k, unsigned kl, const void *v, unsigned vl) {
    (void)arg;
    printf(" ");
    hex((const unsigned char *)k, kl);
    printf("=");
    hex((const unsigned char *)v, vl);
    return 0;
}

static void result(int rc) {
    if (rc == ENGINE_OK) printf("ok\n");
    else if (rc == ENGINE_NOTFOUND) printf("nil\n");
    else printf("err %s\n", engine_strerror(rc));
}

void driver_line(char *line) {
    char *cmd = strtok(line, " \r\n"), *a = strtok(0, " \r\n"), *b = strtok(0, " \r\n"), *c = strtok(0, " \r\n");
    int kl, vl, rc;
    unsigned n;
    if (!cmd) return;
    if (strcmp(cmd, "open") == 0) {
        rc = engine_open(&db, a ? (unsigned)atoi(a) : 64);
        if (rc == ENGINE_OK) conn = server_conn_new(db);
        result(rc);
    } else if (!db) {
        printf("err not open\n");
    } else if (strcmp(cmd, "close") == 0) {
        server_conn_free(conn);
        result(engine_close(db));
        db = 0;
    } else if (strcmp(cmd, "commit") == 0) {
        result(engine_commit(db));
    } else if (strcmp(cmd, "count") == 0) {
        printf("count %u\n", engine_count(db));
    } else if (strcmp(cmd, "put") == 0 && a && b) {
        kl = unhex(a, kbuf, ENGINE_KEY_MAX + 1);
        vl = unhex(b, vbuf, ENGINE_VALUE_MAX + 1);
        result(kl < 0 || vl < 0 ? ENGINE_EINVAL : engine_put(db, kbuf, (unsigned)kl, vbuf, (unsigned)vl));
    } else if (strcmp(cmd, "get") == 0 && a) {
        kl = unhex(a, kbuf, ENGINE_KEY_MAX + 1);
        rc = kl < 0 ? ENGINE_EINVAL : engine_get(db, kbuf, (unsigned)kl, vbuf, sizeof vbuf, &n);
        if (rc == ENGINE_OK) { printf("val "); hex(vbuf, n); printf("\n"); } else result(rc);
    } else if (strcmp(cmd, "del") == 0 && a) {
        kl = unhex(a, kbuf, ENGINE_KEY_MAX + 1);
        result(kl < 0 ? ENGINE_EINVAL : engine_delete(db, kbuf, (unsigned)kl));
    } else if (strcmp(cmd, "scan") == 0 && a && b && c) {
        unsigned char ebuf[ENGINE_KEY_MAX + 8];
        int el = strcmp(b, "-") == 0 ? 0 : unhex(b, ebuf, ENGINE_KEY_MAX + 1);
        kl = unhex(a, kbuf, ENGINE_KEY_MAX + 1);
        printf("scan");
        rc = kl < 0 || el < 0 ? ENGINE_EINVAL
           : engine_scan(db, kbuf, (unsigned)kl, strcmp(b, "-") == 0 ? 0 : ebuf, (unsigned)el, (unsigned)atoi(c), print_kv, 0);
        if (rc < 0) printf(" err %s", engine_strerror(rc));
        printf("\n");
    } else if (strcmp(cmd, "scanb") == 0 && a && b && c) {
        /* engine_scan_buf into a buffer of `CAP` bytes (the 4th word), printed like scan */
        unsigned char ebuf[ENGINE_KEY_MAX + 8];
        char *d = strtok(0, " \r\n");
        int el = strcmp(b, "-") == 0 ? 0 : unhex(b, ebuf, ENGINE_KEY_MAX + 1), records, i;
        unsigned used = 0, at = 0, cap = d ? (unsigned)atoi(d) : sizeof io;
        kl = unhex(a, kbuf, ENGINE_KEY_MAX + 1);
        records = kl < 0 || el < 0 || cap > sizeof io ? ENGINE_EINVAL
            : engine_scan_buf(db, kbuf, (unsigned)kl, strcmp(b, "-") == 0 ? 0 : ebuf, (unsigned)el, (unsigned)atoi(c), io, cap, &used);
        printf("scan");
        for (i = 0; i < records; i++) {
            unsigned k2 = io[at] | (unsigned)io[at + 1] << 8, v2;
            printf(" ");
            hex(io + at + 2, k2);
            v2 = io[at + 2 + k2] | (unsigned)io[at + 3 + k2] << 8;
            printf("=");
            hex(io + at + 4 + k2, v2);
            at += 4 + k2 + v2;
        }
        if (records < 0) printf(" err %s", engine_strerror(records));
        else if (at != used) printf(" err used %u, records take %u", used, at);
        printf("\n");
    } else if (strcmp(cmd, "stats") == 0) {
        struct engine_stats s;
        engine_get_stats(db, &s);
        printf("stats hits=%llu misses=%llu evictions=%llu writebacks=%llu batches=%llu checkpoints=%llu recovered=%llu\n",
               s.hits, s.misses, s.evictions, s.writebacks, s.log_batches, s.checkpoints, s.recovered_batches);
    } else if ((strcmp(cmd, "resp") == 0 || strcmp(cmd, "respq") == 0) && a) {
        int len = cmd[4] == 'q' ? unescape(a, io) : unhex(a, io, sizeof io);
        unsigned got = 0, more;
        if (len < 0) { printf("err bad hex\n"); return; }
        got = (unsigned)server_handle(conn, io, (unsigned)len, reply, sizeof reply);
        while (got < sizeof reply && (more = (unsigned)server_handle(conn, 0, 0, reply + got, sizeof reply - got)) > 0) got += more;
        printf("resp ");
        if (cmd[4] == 'q') escaped(reply, got); else hex(reply, got);
        printf("\n");
    } else if (strcmp(cmd, "respn") == 0 && a && b) {
        unsigned cap = (unsigned)atoi(a), got = 0, calls = 1;
        int len = unhex(b, io, sizeof io), more;
        if (len < 0 || cap > sizeof reply) { printf("err bad arguments\n"); return; }
        more = server_handle(conn, io, (unsigned)len, reply, cap);
        while (more > 0 && got + (unsigned)more + cap <= sizeof reply) {
            got += (unsigned)more;
            calls++;
            more = server_handle(conn, 0, 0, reply + got, cap);
        }
        printf("resp %u ", calls);
        hex(reply, got);
        printf("\n");
    } else if (strcmp(cmd, "bench") == 0 && a && b && c) {
        unsigned i, count = (unsigned)atoi(b), keys = (unsigned)atoi(c), bad = 0;
        for (i = 0; i < count; i++) {
            char key[16];
            int kl2 = sprintf(key, "key:%u", (i * 7919u) % keys), len, got;
            if (a[0] == 's')
                len = sprintf((char *)io, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$100\r\n%0100u\r\n", kl2, key, i);
            else
                len = sprintf((char *)io, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", kl2, key);
            if (a[3] == 'n') continue;      /* setnop, getnop: the cost of building the requests */
            got = server_handle(conn, io, (unsigned)len, reply, sizeof reply);
            if (got < 5 || (a[0] == 's' ? reply[0] != '+' : reply[0] != '$')) bad++;
        }
        printf("bench %s %u bad %u\n", a, count, bad);
    } else {
        printf("err bad command %s\n", cmd);
    }
}
