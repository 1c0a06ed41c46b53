/* Appends 300 records to the store, syncs it and reads back its count and checksum: with the
 * store in the guest (store.c and vol_ram.c linked in), or, built with -DUSE_MODULE, through
 * the store module at the hypervisor level (one vmcall per operation). */
#include <stdio.h>
#include <string.h>
#include <vamos_module.h>
#include "../common/store.h"

#define RECORDS 300

#ifdef USE_MODULE
static int h;
static int append(const char *rec, unsigned len) {
    int index;
    int n = vmod_call(h, 1, rec, len, &index, sizeof index);
    return n == 4 ? index : n;
}
static int sync_all(void) { return vmod_call(h, 2, 0, 0, 0, 0); }
static int stat(unsigned out[2]) { return vmod_call(h, 3, 0, 0, out, 8) == 8 ? 0 : -5; }
#else
static int append(const char *rec, unsigned len) { return store_append(rec, len); }
static int sync_all(void) { return store_sync(); }
static int stat(unsigned out[2]) {
    out[0] = store_count();
    out[1] = store_checksum();
    return 0;
}
#endif

int main(void) {
    char rec[64];
    unsigned out[2];
    int i, rc;
#ifdef USE_MODULE
    h = vmod_open("store");
    if (h < 0) {
        printf("store module: %s\n", vmod_strerror(h));
        return 1;
    }
    const char *where = "by the module";
#else
    if (store_open() < 0) return 1;
    const char *where = "in the guest";
#endif
    for (i = 0; i < RECORDS; i++) {
        int len = sprintf(rec, "record %d: %d squared is %d", i, i, i * i);
        if ((rc = append(rec, (unsigned)len)) != i) {
            printf("append %d: %d\n", i, rc);
            return 1;
        }
    }
    if ((rc = sync_all()) < 0 || stat(out) < 0) {
        printf("sync: %d\n", rc);
        return 1;
    }
    printf("%u records, checksum %08x, %s\n", out[0], out[1], where);
    return 0;
}
