/* drivers.c: driver bring-up. The DMA API comes first (the rings are mapped through it), then
 * every device of the boot-information block in slot order, one line each on the console. */
#include "virtio.h"
#include <stdio.h>

void drivers_selftest(void);

void drivers_init(void) {
    unsigned i;
    dma_init();
    for (i = 0; i < boot_info->device_count && i < BOOT_MAX_DEVICES; i++) {
        const struct boot_device *bd = &boot_info->devices[i];
        unsigned slot = (bd->mmio_base - VIRTIO_MMIO_BASE) / VIRTIO_MMIO_STRIDE;
        switch (bd->kind & 0xffff) {
        case VIRTIO_ID_BLOCK: virtio_blk_probe(bd, slot); break;
        case VIRTIO_ID_NET: virtio_net_probe(bd, slot); break;
        case VIRTIO_ID_MODCHAN: virtio_modchan_probe(bd, slot); break;
        default: printf("virtio slot %u: device id %u has no driver; skipped\n", slot, bd->kind & 0xffff); break;
        }
    }
#ifdef DRIVERS_SELFTEST
    drivers_selftest();
#endif
}
