/* The store as a hypervisor-resident module. Ops: 1 APPEND (request: the record; response:
 * its index, 4 bytes), 2 SYNC, 3 STAT (response: count and checksum, 4 bytes each). */
#include <string.h>
#include "../common/store.h"

int module_init(void) { return store_open(); }

int module_call(unsigned op, const unsigned char *req, unsigned len, unsigned char *resp, unsigned cap) {
    int rc;
    unsigned stat[2];
    switch (op) {
    case 1:
        if (cap < 4) return -90;
        if ((rc = store_append(req, len)) < 0) return rc;
        memcpy(resp, &rc, 4);
        return 4;
    case 2:
        return store_sync();
    case 3:
        if (cap < 8) return -90;
        stat[0] = store_count();
        stat[1] = store_checksum();
        memcpy(resp, stat, 8);
        return 8;
    }
    return -38;
}
