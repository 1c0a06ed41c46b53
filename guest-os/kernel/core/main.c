/* core/main.c: from the boot protocol to the first process (docs/guest-os.md, "Boot"). */
#include <stdio.h>
#include <string.h>
#include <mx86.h>
#include "kcore.h"

struct boot_info *boot_info;

static void kmain(void) {
    const char *disk_cmdline;
    int pid;
    printf("vamos kernel %s (mx86): %u MiB RAM, %u devices\n", KERNEL_VERSION,
           boot_info->mem_size >> 20, boot_info->device_count);
    mem_init();
    paging_init();
    idt_init();
#ifdef KERNEL_TEST_FAULT
    /* tests/os/core.test.ts: a fault in ring 0 must panic with eip, cr2 and the vector. */
    *(volatile uint32_t *)KERNEL_TEST_FAULT = 1;
#endif
    console_init();
    timer_init();
    drivers_init();
    if (bootfs_mount() < 0) {
        printf("kernel: no boot file system found\n");
        power_off(1);
    }
    /* The boot-information command line wins; without one, the disk's default applies. */
    disk_cmdline = bootfs_cmdline();
    if (cmdline_text()[0] == 0 && disk_cmdline != NULL) cmdline_set(disk_cmdline);
    net_init();
    pid = proc_spawn("init", cmdline_text(), NULL);
    if (pid < 0) {
        printf("kernel: cannot start init (error %d)\n", pid);
        power_off(1);
    }
    scheduler();
}

/* Called by _start on the boot stack, interrupts off, paging off. */
void kentry(uint32_t magic, struct boot_info *bi) {
    if (magic != BOOT_MAGIC) {
        printf("kernel: not started by the vamos boot protocol (eax is not the boot magic)\n");
        power_off(2);
    }
    boot_info = bi;
    if (bi->device_count > BOOT_MAX_DEVICES) bi->device_count = BOOT_MAX_DEVICES;
    if (bi->memmap_count > BOOT_MAX_MEMMAP) bi->memmap_count = BOOT_MAX_MEMMAP;
    if (bi->cmdline != 0 && bi->cmdline_len < BOOT_CMDLINE_MAX) cmdline_set((const char *)bi->cmdline);
    kmain();
}
