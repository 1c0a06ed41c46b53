/* transport.h: how the file layer's stub (stub.c) reaches the module (module.c), chosen at
 * link time as the database's stub chooses (docs/web.md "Transports"): transport_vmcall.c, one
 * MODULE_CALL hypercall per operation, or transport_virtio.c, one chain on the module channel
 * (a virtio device served on a host thread). Both carry proto.h's bytes unchanged. */
#ifndef VAMOS_WEB_TRANSPORT_H
#define VAMOS_WEB_TRANSPORT_H

/* The module's handle or channel (opened once), or a negative error. */
int wf_transport_open(void);
/* One operation -> the response's length (at least the rc) or a negative error. */
int wf_transport_call(unsigned op, const void *req, unsigned len, void *resp, unsigned cap);

#endif
