/* A user program under the vamos kernel using a module channel (SYS_CHAN_*, docs/guest-os.md):
 * several operations in flight, reaped out of order and by "any", a batch announced once, and
 * the documented errors for bad input. */
#include <stdio.h>
#include <string.h>
#include <vamos.h>

int main(void) {
    char req[4][8];
    char resp[4][16];
    int c = chan_open("rev"), tags[4], i, n, tag = -1, seen = 0;
    printf("open missing: %s\n", vamos_strerror(chan_open("missing")));
    if (c < 0) {
        printf("open: %s\n", vamos_strerror(c));
        return 1;
    }
    for (i = 0; i < 4; i++) {
        memcpy(req[i], "abcdefgh", 8);
        req[i][0] = (char)('0' + i);
        /* All but the last say more follow: one notification for the four. */
        tags[i] = chan_submit(c, 1, i < 3 ? CHAN_MORE : 0, req[i], 3 + i, resp[i], sizeof resp[i]);
        if (tags[i] < 0) {
            printf("submit: %s\n", vamos_strerror(tags[i]));
            return 1;
        }
    }
    n = chan_reap(c, tags[2], 0, CHAN_WAIT_BLOCK);
    printf("reap 2: %d %.*s\n", n, n > 0 ? n : 0, resp[2]);
    for (i = 0; i < 3; i++) {
        n = chan_reap(c, -1, &tag, CHAN_WAIT_BLOCK);
        if (n > 0 && tag >= 0) seen |= 1 << (tag == tags[0] ? 0 : tag == tags[1] ? 1 : tag == tags[3] ? 3 : 2);
    }
    printf("reaped the rest: %s\n", seen == 0xb ? "yes" : "no");
    printf("reap none: %s\n", vamos_strerror(chan_reap(c, -1, &tag, CHAN_WAIT_POLL)));
    printf("bad op: %s\n", vamos_strerror(chan_reap(c, chan_submit(c, 7, 0, req[0], 3, resp[0], 16), 0, CHAN_WAIT_BLOCK)));
    printf("bad buffer: %s\n", vamos_strerror(chan_submit(c, 1, 0, (void *)0x10, 3, resp[0], 16)));
    printf("bad flags: %s\n", vamos_strerror(chan_submit(c, 1, 0x40, req[0], 3, resp[0], 16)));
    printf("bad channel: %s\n", vamos_strerror(chan_submit(9, 1, 0, req[0], 3, resp[0], 16)));
    printf("bad wait: %s\n", vamos_strerror(chan_reap(c, -1, &tag, 7)));
    flush_output();
    return 0;
}
