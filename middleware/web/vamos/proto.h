/* proto.h: the file layer's hypervisor protocol (docs/web.md): how the guest-side stub
 * (stub.c) hands each files.h operation to the file layer running at the hypervisor level
 * (module.c), one MODULE_CALL hypercall per operation. The op is the MODULE_CALL op; fields
 * are u32 little-endian; every response starts with an i32 rc (a FILES_* code or a count).
 *   WF_MOUNT    req: cache_pages               resp: rc
 *   WF_STAT     req: will_read, the path       resp: rc, id, kind, size, etag, the file's first
 *                                              min(will_read, size) bytes (files.h)
 *   WF_READ     req: id, off, len              resp: rc (bytes), the bytes
 *   WF_LIST     req: id, start, cap            resp: rc (names), used, the names
 *   WF_COUNTERS req: -                         resp: 0, hits, misses, pages, bytes (u64) */
#ifndef VAMOS_WEB_PROTO_H
#define VAMOS_WEB_PROTO_H

#define WF_MODULE_NAME  "vamos-files"
#define WF_MOUNT        1
#define WF_STAT         2
#define WF_READ         3
#define WF_LIST         4
#define WF_COUNTERS     5

#define WF_HEADER       4           /* the rc */
#define WF_RESPONSE_MAX 65536       /* the kernel's MODULE_CALL limit (docs/hypercalls.md) */

#endif
