/* proto.h: the VAMOS engine protocol (docs/vamos.md): how the guest-side stub (stub.c) hands
 * whole storage-engine operations to the engine running at the hypervisor level (module.c),
 * one MODULE_CALL hypercall per operation.
 *
 * A request is a batch: records executed in order, each [u8 op][fields]. The stub buffers
 * puts (they cannot fail in a way the caller acts on before the next commit) and sends them
 * in front of the next operation, so a SET (put + commit) is one hypercall.
 * Fields: u16/u32 little-endian; a key or value is [u16 length][bytes].
 *   VP_OPEN    u32 pool_pages
 *   VP_GET     key, u32 capacity
 *   VP_PUT     key, value
 *   VP_DELETE  key
 *   VP_COMMIT
 *   VP_COUNT
 *   VP_SCAN    start key, u16 end length (0xFFFF: no end) + end bytes, u32 limit, u32 capacity
 *   VP_STATS
 *   VP_CLOSE
 * The response: [i32 rc][u32 aux][payload]. rc is the ENGINE_* result of the last record, or
 * of the first record that failed (then aux is its index and the rest did not run). aux is,
 * on success: GET the value length (payload: the value), COUNT the key count, SCAN the bytes
 * used (payload: engine_scan_buf records) with rc = the record count, STATS 0 (payload: struct
 * engine_stats). */
#ifndef VAMOS_PROTO_H
#define VAMOS_PROTO_H

#define VP_OPEN     1
#define VP_GET      2
#define VP_PUT      3
#define VP_DELETE   4
#define VP_COMMIT   5
#define VP_COUNT    6
#define VP_SCAN     7
#define VP_STATS    8
#define VP_CLOSE    9

#define VP_MODULE_NAME   "vamos-engine"
#define VP_CALL_OP       1           /* the MODULE_CALL op carrying a batch */
#define VP_BATCH_MAX     16384       /* request bytes */
#define VP_RESPONSE_MAX  16384       /* response bytes */
#define VP_HEADER        8           /* rc + aux */
#define VP_NO_END        0xFFFFu

/* The transport the stub uses: the environment provides it (the guest server over the
 * kernel's SYS_MODULE_CALL; native tests by calling module.c directly). Returns the response
 * length or a negative hypercall error. */
int vamos_transport_open(void);
int vamos_transport_call(const void *req, unsigned len, void *resp, unsigned cap);

/* A server that keeps several operations in flight (dbserver's inflight.c, over the module
 * channel) sets these two hooks; unset (the default), every call blocks. vamos_wait_turn runs
 * before any engine call touches the stub's shared batch (it returns once the caller may);
 * vamos_wait_reply runs after a submission and returns the response length when it is back,
 * the other connections running meanwhile. transport_virtio.c calls vamos_wait_reply. */
extern void (*vamos_wait_turn)(void);
extern int (*vamos_wait_reply)(int tag);
int vamos_transport_submit(const void *req, unsigned len, void *resp, unsigned cap, int more);
int vamos_transport_reap(int tag, int *tag_out);

/* The hypervisor side's entry points (module.c), also callable directly in native tests. */
int vamos_module_init(void);
int vamos_module_call(unsigned op, const unsigned char *req, unsigned len, unsigned char *resp, unsigned cap);

#endif
