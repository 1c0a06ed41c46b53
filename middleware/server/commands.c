/* The commands, with Redis 7's arity rules, replies and error texts (t_string.c, db.c,
 * server.c), over the engine interface. Our limits: keys up to ENGINE_KEY_MAX bytes and
 * values up to ENGINE_VALUE_MAX; a key that long cannot exist, so reads of one find nothing
 * (as in Redis) and writes get an error. */
#include <string.h>
#include "commands.h"

#define ONE_REPLY   (ENGINE_VALUE_MAX + 32)   /* the largest reply of a single-key command */

static unsigned char value[ENGINE_VALUE_MAX + 1];

static int lower_eq(const unsigned char *a, unsigned n, const char *name) {
    unsigned i;
    for (i = 0; i < n; i++) {
        unsigned char c = a[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        if (name[i] == 0 || c != (unsigned char)name[i]) return 0;
    }
    return name[n] == 0;
}

static int check(struct writer *w, int rc) {
    if (rc == ENGINE_EFULL) { w_error(w, "ERR the database is full"); return CMD_DONE; }
    return CMD_FATAL;
}

static int long_key(struct writer *w, unsigned len) {
    if (len <= ENGINE_KEY_MAX) return 0;
    w_error(w, "ERR key too long (the limit is 64 bytes)");
    return 1;
}

static int cmd_ping(engine *db, const struct req *r, struct writer *w) {
    (void)db;
    if (r->argc > 2) w_error(w, "ERR wrong number of arguments for 'ping' command");
    else if (r->argc == 1) w_simple(w, "PONG"); else w_bulk(w, r->argv[1], r->len[1]);
    return CMD_DONE;
}

static int get_one(engine *db, const unsigned char *key, unsigned len, struct writer *w) {
    unsigned n;
    int rc = len > ENGINE_KEY_MAX ? ENGINE_NOTFOUND : engine_get(db, key, len, value, sizeof value, &n);
    if (rc == ENGINE_NOTFOUND) w_nil(w);
    else if (rc == ENGINE_OK) w_bulk(w, value, n);
    else return CMD_FATAL;
    return CMD_DONE;
}

static int cmd_get(engine *db, const struct req *r, struct writer *w) { return get_one(db, r->argv[1], r->len[1], w); }

static int cmd_set(engine *db, const struct req *r, struct writer *w) {
    int nx = 0, xx = 0, get = 0, found = 0, rc;
    unsigned j, n;
    for (j = 3; j < r->argc; j++) {
        const unsigned char *o = r->argv[j];
        unsigned l = r->len[j];
        if (lower_eq(o, l, "nx") && !xx) nx = 1;
        else if (lower_eq(o, l, "xx") && !nx) xx = 1;
        else if (lower_eq(o, l, "get")) get = 1;
        else if (lower_eq(o, l, "keepttl")) continue;          /* no key has a TTL here */
        else if ((lower_eq(o, l, "ex") || lower_eq(o, l, "px") || lower_eq(o, l, "exat") || lower_eq(o, l, "pxat")) && j + 1 < r->argc) {
            w_error(w, "ERR expiry is not supported by this server");
            return CMD_DONE;
        } else { w_error(w, "ERR syntax error"); return CMD_DONE; }
    }
    if (long_key(w, r->len[1])) return CMD_DONE;
    if (r->len[2] > ENGINE_VALUE_MAX) { w_error(w, "ERR value too long (the limit is 1000 bytes)"); return CMD_DONE; }
    if (nx || xx || get) {
        rc = engine_get(db, r->argv[1], r->len[1], value, sizeof value, &n);
        if (rc != ENGINE_OK && rc != ENGINE_NOTFOUND) return CMD_FATAL;
        found = rc == ENGINE_OK;
        if (get) { if (found) w_bulk(w, value, n); else w_nil(w); }
        if ((nx && found) || (xx && !found)) { if (!get) w_nil(w); return CMD_DONE; }
    }
    rc = engine_put(db, r->argv[1], r->len[1], r->argv[2], r->len[2]);
    if (rc < 0) return check(w, rc);
    if (!get) w_simple(w, "OK");
    return CMD_WROTE;
}

static int cmd_del(engine *db, const struct req *r, struct writer *w) {
    unsigned j;
    long long n = 0;
    for (j = 1; j < r->argc; j++) {
        int rc = r->len[j] > ENGINE_KEY_MAX ? ENGINE_NOTFOUND : engine_delete(db, r->argv[j], r->len[j]);
        if (rc == ENGINE_OK) n++;
        else if (rc != ENGINE_NOTFOUND) return CMD_FATAL;
    }
    w_int(w, n);
    return n ? CMD_WROTE : CMD_DONE;
}

static int cmd_exists(engine *db, const struct req *r, struct writer *w) {
    unsigned j, n;
    long long count = 0;
    for (j = 1; j < r->argc; j++) {
        int rc = r->len[j] > ENGINE_KEY_MAX ? ENGINE_NOTFOUND : engine_get(db, r->argv[j], r->len[j], value, 0, &n);
        if (rc == ENGINE_OK || rc == ENGINE_ETOOSMALL) count++;
        else if (rc != ENGINE_NOTFOUND) return CMD_FATAL;
    }
    w_int(w, count);
    return CMD_DONE;
}

static int cmd_incr(engine *db, const struct req *r, struct writer *w) {
    long long v = 0;
    char s[24];
    unsigned n;
    int rc;
    if (long_key(w, r->len[1])) return CMD_DONE;
    rc = engine_get(db, r->argv[1], r->len[1], value, sizeof value, &n);
    if (rc != ENGINE_OK && rc != ENGINE_NOTFOUND) return CMD_FATAL;
    if (rc == ENGINE_OK && !resp_str2ll(value, n, &v)) { w_error(w, "ERR value is not an integer or out of range"); return CMD_DONE; }
    if (v == 0x7FFFFFFFFFFFFFFFll) { w_error(w, "ERR increment or decrement would overflow"); return CMD_DONE; }
    v++;
    n = ll2str(s, v);
    if ((rc = engine_put(db, r->argv[1], r->len[1], s, n)) < 0) return check(w, rc);
    w_int(w, v);
    return CMD_WROTE;
}

static int cmd_mget(engine *db, const struct req *r, struct writer *w) {
    unsigned j;
    w_array(w, r->argc - 1);
    for (j = 1; j < r->argc; j++)
        if (get_one(db, r->argv[j], r->len[j], w) == CMD_FATAL) return CMD_FATAL;
    return CMD_DONE;
}

static int cmd_dbsize(engine *db, const struct req *r, struct writer *w) {
    (void)r;
    w_int(w, engine_count(db));
    return CMD_DONE;
}

struct range_ctx { struct writer *w; unsigned pairs; int truncated; };

static int range_pair(void *arg, const void *k, unsigned kl, const void *v, unsigned vl) {
    struct range_ctx *c = (struct range_ctx *)arg;
    unsigned before = c->w->used;
    w_bulk(c->w, k, kl);
    w_bulk(c->w, v, vl);
    if (c->w->over) { c->w->used = before; c->w->over = 0; c->truncated = 1; return 1; }
    c->pairs++;
    return 0;
}

/* RANGE start end [COUNT n]: the pairs are written after room left for the array header,
 * which is filled in (and the pairs moved up to it) once their number is known. */
static int cmd_range(engine *db, const struct req *r, struct writer *w) {
    long long count = 0;
    unsigned start = w->used, hl;
    struct range_ctx c;
    char h[24];
    int rc;
    if (r->argc == 4 || r->argc > 5 || (r->argc == 5 && !lower_eq(r->argv[3], r->len[3], "count"))) {
        w_error(w, "ERR syntax error");
        return CMD_DONE;
    }
    if (r->argc == 5 && (!resp_str2ll(r->argv[4], r->len[4], &count) || count < 0)) {
        w_error(w, "ERR value is not an integer or out of range");
        return CMD_DONE;
    }
    if (long_key(w, r->len[1])) return CMD_DONE;
    if (r->argc == 5 && count == 0) { w_array(w, 0); return CMD_DONE; }
    if (w->cap - w->used < sizeof h) { w->over = 1; return CMD_DONE; }
    w->used += sizeof h;
    c.w = w;
    c.pairs = 0;
    c.truncated = 0;
    rc = engine_scan(db, r->argv[1], r->len[1], r->argv[2], r->len[2], (unsigned)(count > 0x7FFFFFFF ? 0 : count), range_pair, &c);
    if (rc < 0) return CMD_FATAL;
    if (c.truncated && start > 0) { w->over = 1; return CMD_DONE; }   /* retried in a fresh buffer */
    h[0] = '*';
    hl = 1 + ll2str(h + 1, 2 * (long long)c.pairs);
    h[hl++] = '\r';
    h[hl++] = '\n';
    memcpy(w->buf + start, h, hl);
    memmove(w->buf + start + hl, w->buf + start + sizeof h, w->used - start - sizeof h);
    w->used -= (unsigned)sizeof h - hl;
    return CMD_DONE;
}

struct command {
    const char *name;
    int arity;                  /* Redis's: n exactly, -n at least n (the name included) */
    int (*run)(engine *, const struct req *, struct writer *);
};

static const struct command commands[] = {
    { "get", 2, cmd_get }, { "set", -3, cmd_set }, { "del", -2, cmd_del }, { "exists", -2, cmd_exists },
    { "incr", 2, cmd_incr }, { "mget", -2, cmd_mget }, { "dbsize", 1, cmd_dbsize }, { "ping", -1, cmd_ping },
    { "range", -3, cmd_range },
};

/* Redis: unknown command 'x', with args beginning with: 'a' 'b' (%.128s, like C strings). */
static void unknown(const struct req *r, struct writer *w) {
    char msg[400];
    unsigned n = 0, i, l, args = 0;
    const char *head = "ERR unknown command '";
    memcpy(msg, head, strlen(head));
    n = (unsigned)strlen(head);
    for (l = 0; l < r->len[0] && l < 128 && r->argv[0][l]; l++) msg[n++] = (char)r->argv[0][l];
    memcpy(msg + n, "', with args beginning with: ", 29);
    n += 29;
    for (i = 1; i < r->argc && args < 128; i++) {
        unsigned limit = 128 - args, before = n;
        msg[n++] = '\'';
        for (l = 0; l < r->len[i] && l < limit && r->argv[i][l]; l++) msg[n++] = (char)r->argv[i][l];
        msg[n++] = '\'';
        msg[n++] = ' ';
        args += n - before;
    }
    msg[n] = 0;
    w_error(w, msg);
}

int cmd_execute(engine *db, const struct req *r, struct writer *w, unsigned cap) {
    unsigned i, need = ONE_REPLY;
    const struct command *c = 0;
    int rc;
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (lower_eq(r->argv[0], r->len[0], commands[i].name)) c = &commands[i];
    if (!c) need = 512;
    else if (c->run == cmd_mget) need = 16 + (r->argc - 1) * ONE_REPLY;
    else if (c->run == cmd_ping && r->argc == 2) need = 32 + r->len[1];
    else if (c->run == cmd_range) need = 32 + 2 * ONE_REPLY;
    if (need > w->cap - w->used) {
        if (w->used > 0) return CMD_NO_ROOM;
        if (need > cap && (!c || c->run != cmd_range)) { w_error(w, "ERR reply too large for the server's buffer"); return CMD_DONE; }
    }
    if (!c) { unknown(r, w); return CMD_DONE; }
    if ((c->arity > 0 && (int)r->argc != c->arity) || (int)r->argc < -c->arity) {
        char msg[80];
        strcpy(msg, "ERR wrong number of arguments for '");
        strcat(msg, c->name);
        strcat(msg, "' command");
        w_error(w, msg);
        return CMD_DONE;
    }
    rc = c->run(db, r, w);
    if (w->over) return CMD_NO_ROOM;
    return rc;
}

/* GET key and SET key value (no options) reach the engine once: [get] or [put + the batch's
 * commit]. Every other command may reach it more than once (INCR and SET NX/XX/GET read, then
 * write; MGET, DEL and EXISTS go key by key) or not at all, and must not interleave with
 * another connection's when several are in flight (server.c's exclusive section). */
int cmd_single_op(const struct req *r) {
    if (r->argc == 2 && lower_eq(r->argv[0], r->len[0], "get")) return 1;
    if (r->argc == 3 && lower_eq(r->argv[0], r->len[0], "set")) return 1;
    return 0;
}
