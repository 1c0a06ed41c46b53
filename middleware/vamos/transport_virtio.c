/* The stub's second transport (docs/vamos.md): the module channel, a virtio device whose
 * backend runs the engine on a host thread (the prototype's "Virtio-SQL"). The same protocol
 * records as transport_guest.c, carried in a descriptor chain instead of a vmcall: submit,
 * then reap the answer. While it is out the vCPU is free; a server that has other work calls
 * vamos_transport_submit and vamos_transport_reap itself (dbserver.c does, one operation per
 * waiting connection). */
#include "vamos.h"
#include "proto.h"

static int chan = -1;

int vamos_transport_open(void) {
    if (chan < 0) chan = chan_open(VP_MODULE_NAME);
    return chan;
}

int vamos_transport_submit(const void *req, unsigned len, void *resp, unsigned cap, int more) {
    if (chan < 0) return -1;
    return chan_submit(chan, VP_CALL_OP, more ? CHAN_MORE : 0, req, len, resp, cap);
}

int vamos_transport_reap(int tag, int *tag_out) {
    if (chan < 0) return -1;
    return chan_reap(chan, tag, tag_out, CHAN_WAIT_BLOCK);
}

int vamos_transport_call(const void *req, unsigned len, void *resp, unsigned cap) {
    int tag = vamos_transport_submit(req, len, resp, cap, 0);
    if (tag < 0) return tag;
    if (vamos_wait_reply) return vamos_wait_reply(tag);
    return vamos_transport_reap(tag, 0);
}
