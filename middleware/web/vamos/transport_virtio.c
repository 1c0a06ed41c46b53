/* The stub's virtio transport (transport.h): the module channel (docs/virtio.md
 * "virtio-modchan"), the same proto.h records in a descriptor chain. The web server has one
 * request in hand at a time and needs the answer to go on, so each call submits and blocks
 * in chan_reap: the process sleeps, the vCPU halts or runs the kernel while the module works
 * on its host thread, and the completion interrupt wakes it. */
#include "vamos.h"
#include "proto.h"
#include "transport.h"

static int chan = -1;

int wf_transport_open(void) {
    if (chan < 0) chan = chan_open(WF_MODULE_NAME);
    return chan;
}

int wf_transport_call(unsigned op, const void *req, unsigned len, void *resp, unsigned cap) {
    int tag;
    if (chan < 0) return -1;
    tag = chan_submit(chan, op, 0, req, len, resp, cap);
    if (tag < 0) return tag;
    return chan_reap(chan, tag, 0, CHAN_WAIT_BLOCK);
}
