/* node.h: the layout of a B+tree page (one 4 KiB page, little-endian fields).
 *
 *   0  type        1 = leaf, 2 = interior
 *   2  nkeys       number of cells
 *   4  cell_start  cells occupy [cell_start, 4096), growing down
 *   6  garbage     bytes of dead cells between them (reclaimed by compaction)
 *   8  link        leaf: right sibling (0 = none); interior: the leftmost child
 *  12  slots       nkeys 2-byte cell offsets, in key order
 *
 * Leaf cell: [klen:1][vlen:2][key][value]. Interior cell: [klen:1][child:4][key]; the child
 * holds the keys >= key (and < the next cell's key); keys below the first cell's go to link. */
#ifndef VAMOS_ENGINE_NODE_H
#define VAMOS_ENGINE_NODE_H

#include "internal.h"

#define T_LEAF      1
#define T_INNER     2
#define NODE_HDR    12
#define META_MAGIC  0x4154454Du /* "META" */

#define N_KEYS(p)       rd16((p) + 2)
#define N_START(p)      rd16((p) + 4)
#define N_GARBAGE(p)    rd16((p) + 6)
#define N_LINK(p)       rd32((p) + 8)
#define N_SLOT(p, i)    rd16((p) + NODE_HDR + 2 * (i))

static inline unsigned cell_size(const unsigned char *p, unsigned off) {
    return p[0] == T_LEAF ? 3u + p[off] + rd16(p + off + 1) : 5u + p[off];
}
static inline const unsigned char *cell_key(const unsigned char *p, unsigned off) {
    return p + off + (p[0] == T_LEAF ? 3 : 5);
}

#endif
