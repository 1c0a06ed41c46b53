/* The B+tree: search, insert with splits, delete, range scan. Pages come from the buffer pool
 * (pool.c); every change marks its frame dirty so the next commit logs it (wal.c). Deletes do
 * not merge nodes: a leaf may become empty and stays in the leaf chain (its space is reused by
 * later inserts in its range). The meta page (root, next free page, key count) is a page like
 * the others, so it is logged and recovered with the tree. */
#include <string.h>
#include "node.h"

static int keycmp(const unsigned char *a, unsigned al, const unsigned char *b, unsigned bl) {
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c) return c;
    return al < bl ? -1 : al > bl;
}

static int node_ok(const unsigned char *p) {
    unsigned n = N_KEYS(p);
    return (p[0] == T_LEAF || p[0] == T_INNER) && NODE_HDR + 2 * n <= N_START(p) && N_START(p) <= PAGE;
}

/* The first slot whose key is >= key; *eq tells whether it is equal. */
static unsigned lower_bound(const unsigned char *p, const unsigned char *key, unsigned klen, int *eq) {
    unsigned lo = 0, hi = N_KEYS(p);
    *eq = 0;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2, off = N_SLOT(p, mid);
        int c = keycmp(cell_key(p, off), p[off], key, klen);
        if (c < 0) lo = mid + 1;
        else { hi = mid; if (c == 0) *eq = 1; }
    }
    return lo;
}

/* The child of an interior node to follow for key: 0 = link, i = the child of cell i-1. */
static unsigned child_index(const unsigned char *p, const unsigned char *key, unsigned klen) {
    int eq;
    unsigned i = lower_bound(p, key, klen, &eq);
    return eq ? i + 1 : i;
}

static unsigned child_at(const unsigned char *p, unsigned i) {
    return i == 0 ? N_LINK(p) : rd32(p + N_SLOT(p, i - 1) + 1);
}

static void node_init(unsigned char *p, unsigned type, unsigned link) {
    memset(p, 0, NODE_HDR);
    p[0] = (unsigned char)type;
    wr16(p + 4, PAGE);
    wr32(p + 8, link);
}

static void node_insert_at(unsigned char *p, unsigned i, const unsigned char *cell, unsigned len) {
    unsigned n = N_KEYS(p), start = N_START(p) - len;
    memcpy(p + start, cell, len);
    memmove(p + NODE_HDR + 2 * (i + 1), p + NODE_HDR + 2 * i, 2 * (n - i));
    wr16(p + NODE_HDR + 2 * i, start);
    wr16(p + 2, n + 1);
    wr16(p + 4, start);
}

static void node_remove_at(unsigned char *p, unsigned i) {
    unsigned n = N_KEYS(p);
    wr16(p + 6, N_GARBAGE(p) + cell_size(p, N_SLOT(p, i)));
    memmove(p + NODE_HDR + 2 * i, p + NODE_HDR + 2 * (i + 1), 2 * (n - i - 1));
    wr16(p + 2, n - 1);
}

static void node_compact(engine *e, unsigned char *p) {
    unsigned i, n = N_KEYS(p);
    memcpy(e->scratch, p, PAGE);
    node_init(p, e->scratch[0], N_LINK(e->scratch));
    for (i = 0; i < n; i++) {
        unsigned off = N_SLOT(e->scratch, i);
        node_insert_at(p, i, e->scratch + off, cell_size(e->scratch, off));
    }
}

/* Inserts a cell at slot i if the node has room (compacting if that makes room): 0, else 1. */
static int try_insert(engine *e, unsigned char *p, unsigned i, const unsigned char *cell, unsigned len) {
    unsigned contig = N_START(p) - NODE_HDR - 2 * N_KEYS(p);
    if (contig < len + 2) {
        if (contig + N_GARBAGE(p) < len + 2) return 1;
        node_compact(e, p);
    }
    node_insert_at(p, i, cell, len);
    return 0;
}

static int meta_store(engine *e) {
    struct frame *m = pool_fetch(e, e->meta_pgno);
    if (!m) return e->failed;
    wr32(m->data, META_MAGIC);
    wr32(m->data + 4, e->root);
    wr32(m->data + 8, e->next_free);
    wr32(m->data + 12, e->count);
    pool_dirty(e, m);
    pool_unpin(m);
    return ENGINE_OK;
}

int bt_load_meta(engine *e) {
    struct frame *m = pool_fetch(e, e->meta_pgno);
    if (!m) return e->failed;
    if (rd32(m->data) != META_MAGIC) { pool_unpin(m); return fail(e, ENGINE_ECORRUPT); }
    e->root = rd32(m->data + 4);
    e->next_free = rd32(m->data + 8);
    e->count = rd32(m->data + 12);
    pool_unpin(m);
    return ENGINE_OK;
}

static struct frame *new_node(engine *e, unsigned type, unsigned link) {
    struct frame *f;
    if (e->next_free >= e->total_pages) { fail(e, ENGINE_EFULL); return 0; }
    f = pool_create(e, e->next_free++);
    if (!f) return 0;
    node_init(f->data, type, link);
    pool_dirty(e, f);
    return f;
}

int bt_format(engine *e) {
    struct frame *root;
    e->next_free = e->meta_pgno + 1;
    e->count = 0;
    root = new_node(e, T_LEAF, 0);
    if (!root) return e->failed;
    e->root = root->pgno;
    pool_unpin(root);
    return meta_store(e);
}

/* The j-th cell of a full node's cells with `cell` inserted at slot i. */
static const unsigned char *nth(const unsigned char *s, unsigned i, const unsigned char *cell, unsigned j) {
    if (j == i) return cell;
    return s + N_SLOT(s, j < i ? j : j - 1);
}

/* Splits node L while inserting `cell` at slot i: L keeps the lower half, a new right node the
 * upper half. The separator for the parent (the right node's first key; for an interior node
 * that key moves up and its child becomes the right node's link) is copied to sep. */
static int split(engine *e, struct frame *L, unsigned i, const unsigned char *cell, unsigned len,
                 unsigned *rpg, unsigned char *sep, unsigned *seplen) {
    unsigned char *p = L->data, *s = e->scratch;
    unsigned type = p[0], total = N_KEYS(p) + 1, sum = 0, acc = 0, m, j, k;
    struct frame *R;
    const unsigned char *c;
    memcpy(s, p, PAGE);
    for (j = 0; j < total; j++) { c = nth(s, i, cell, j); sum += 2 + (j == i ? len : cell_size(s, (unsigned)(c - s))); }
    for (m = 0; m < total - 1; m++) {
        c = nth(s, i, cell, m);
        acc += 2 + (m == i ? len : cell_size(s, (unsigned)(c - s)));
        if (acc >= sum / 2) break;
    }
    m = m + 1 < total ? m + 1 : total - 1;  /* cells [0, m) stay left, 1 <= m <= total - 1 */
    if (type == T_INNER && m == total - 1) m--;     /* an interior split needs a cell to move up */
    c = nth(s, i, cell, m);
    *seplen = c[0];
    memcpy(sep, c + (type == T_LEAF ? 3 : 5), c[0]);
    R = new_node(e, type, type == T_LEAF ? N_LINK(s) : rd32(c + 1));
    if (!R) return e->failed;
    *rpg = R->pgno;
    node_init(p, type, type == T_LEAF ? R->pgno : N_LINK(s));
    for (j = 0; j < m; j++) {
        c = nth(s, i, cell, j);
        node_insert_at(p, j, c, j == i ? len : cell_size(s, (unsigned)(c - s)));
    }
    k = 0;
    for (j = type == T_LEAF ? m : m + 1; j < total; j++) {
        c = nth(s, i, cell, j);
        node_insert_at(R->data, k++, c, j == i ? len : cell_size(s, (unsigned)(c - s)));
    }
    pool_unpin(R);
    return ENGINE_OK;
}

/* Descends to the leaf for key, recording the path (frames stay pinned) and the child taken at
 * each level. Returns the depth of the leaf, or < 0 with nothing pinned. */
static int descend(engine *e, const unsigned char *key, unsigned klen, struct frame **path, unsigned *idx) {
    unsigned pg = e->root;
    int depth = 0;
    for (;;) {
        struct frame *f = pool_fetch(e, pg);
        if (f && (!node_ok(f->data) || depth >= MAX_HEIGHT)) { pool_unpin(f); f = 0; fail(e, ENGINE_ECORRUPT); }
        if (!f) { while (depth > 0) pool_unpin(path[--depth]); return e->failed; }
        path[depth] = f;
        if (f->data[0] == T_LEAF) return depth;
        idx[depth] = child_index(f->data, key, klen);
        pg = child_at(f->data, idx[depth]);
        depth++;
    }
}

static struct frame *find_leaf(engine *e, const unsigned char *key, unsigned klen) {
    struct frame *path[MAX_HEIGHT];
    unsigned idx[MAX_HEIGHT];
    int d = descend(e, key, klen, path, idx), i;
    if (d < 0) return 0;
    for (i = 0; i < d; i++) pool_unpin(path[i]);
    return path[d];
}

int bt_get(engine *e, const unsigned char *key, unsigned klen, void *val, unsigned cap, unsigned *vlen) {
    struct frame *f = find_leaf(e, key, klen);
    unsigned pos, off, n;
    int eq;
    if (!f) return e->failed;
    pos = lower_bound(f->data, key, klen, &eq);
    if (!eq) { pool_unpin(f); return ENGINE_NOTFOUND; }
    off = N_SLOT(f->data, pos);
    n = rd16(f->data + off + 1);
    if (vlen) *vlen = n;
    if (n > cap) { pool_unpin(f); return ENGINE_ETOOSMALL; }
    memcpy(val, f->data + off + 3 + klen, n);
    pool_unpin(f);
    return ENGINE_OK;
}

int bt_put(engine *e, const unsigned char *key, unsigned klen, const unsigned char *val, unsigned vlen) {
    struct frame *path[MAX_HEIGHT];
    unsigned idx[MAX_HEIGHT], ins, len, rpg = 0, seplen = 0;
    unsigned char sep[ENGINE_KEY_MAX];
    unsigned old_next = e->next_free;   /* the meta page changes only with these */
    int depth = descend(e, key, klen, path, idx), level, eq, rc = ENGINE_OK;
    if (depth < 0) return depth;
    ins = lower_bound(path[depth]->data, key, klen, &eq);
    e->cell[0] = (unsigned char)klen;
    wr16(e->cell + 1, vlen);
    memcpy(e->cell + 3, key, klen);
    memcpy(e->cell + 3 + klen, val, vlen);
    len = 3 + klen + vlen;
    if (eq) {
        unsigned char *p = path[depth]->data;
        unsigned off = N_SLOT(p, ins), old = cell_size(p, off);
        if (len <= old) {                   /* an update that fits where the old value was */
            memcpy(p + off, e->cell, len);
            wr16(p + 6, N_GARBAGE(p) + old - len);
            pool_dirty(e, path[depth]);
            for (level = 0; level <= depth; level++) pool_unpin(path[level]);
            return ENGINE_OK;
        }
        node_remove_at(p, ins);
    }
    for (level = depth;; level--) {
        pool_dirty(e, path[level]);
        if (!try_insert(e, path[level]->data, ins, e->cell, len)) break;
        if ((rc = split(e, path[level], ins, e->cell, len, &rpg, sep, &seplen)) < 0) break;
        e->cell[0] = (unsigned char)seplen;         /* the separator cell for the parent */
        wr32(e->cell + 1, rpg);
        memcpy(e->cell + 5, sep, seplen);
        len = 5 + seplen;
        if (level == 0) {                           /* a new root above the old one */
            struct frame *r;
            if (depth + 1 >= MAX_HEIGHT) { rc = fail(e, ENGINE_EFULL); break; }
            if (!(r = new_node(e, T_INNER, e->root))) { rc = e->failed; break; }
            node_insert_at(r->data, 0, e->cell, len);
            e->root = r->pgno;
            pool_unpin(r);
            break;
        }
        ins = idx[level - 1];
    }
    if (rc == ENGINE_OK && !eq) e->count++;
    for (level = 0; level <= depth; level++) pool_unpin(path[level]);
    if (rc < 0) return rc;
    return eq && e->next_free == old_next ? ENGINE_OK : meta_store(e);
}

int bt_delete(engine *e, const unsigned char *key, unsigned klen) {
    struct frame *f = find_leaf(e, key, klen);
    unsigned pos;
    int eq;
    if (!f) return e->failed;
    pos = lower_bound(f->data, key, klen, &eq);
    if (eq) {
        node_remove_at(f->data, pos);
        pool_dirty(e, f);
        e->count--;
    }
    pool_unpin(f);
    return eq ? meta_store(e) : ENGINE_NOTFOUND;
}

int bt_scan(engine *e, const unsigned char *start, unsigned slen, const unsigned char *end, unsigned elen,
            unsigned limit, engine_scan_fn fn, void *arg) {
    struct frame *f = find_leaf(e, start, slen);
    unsigned pos, next;
    int eq, calls = 0;
    if (!f) return e->failed;
    pos = lower_bound(f->data, start, slen, &eq);
    for (;;) {
        const unsigned char *p = f->data;
        for (; pos < N_KEYS(p); pos++) {
            unsigned off = N_SLOT(p, pos), kl = p[off];
            const unsigned char *k = p + off + 3;
            if (end && keycmp(k, kl, end, elen) > 0) goto done;
            calls++;
            if (fn(arg, k, kl, k + kl, rd16(p + off + 1)) || (limit && (unsigned)calls >= limit)) goto done;
        }
        next = N_LINK(p);
        pool_unpin(f);
        if (!next) return calls;
        if (!(f = pool_fetch(e, next))) return e->failed;
        if (!node_ok(f->data) || f->data[0] != T_LEAF) { pool_unpin(f); return fail(e, ENGINE_ECORRUPT); }
        pos = 0;
    }
done:
    pool_unpin(f);
    return calls;
}
