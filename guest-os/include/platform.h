/* platform.h: the vamos machine as the firmware and the kernel see it (docs/platform.md).
 * Shared by firmware/, guest-os/kernel/ and, through the same numbers in vmm/platform.ts, the VMM.
 * A test checks that the two agree. */
#ifndef _VAMOS_PLATFORM_H
#define _VAMOS_PLATFORM_H

/* virtio-mmio slots: fixed windows probed by the firmware (MagicValue 0x74726976 = "virt"). */
#define VIRTIO_MMIO_BASE    0xD0000000u
#define VIRTIO_MMIO_STRIDE  0x1000u
#define VIRTIO_MMIO_SLOTS   4
/* Slot i raises PIC line VIRTIO_IRQ_BASE + i (lines 5..8; vector 32 + line). */
#define VIRTIO_IRQ_BASE     5
/* Behind the IOMMU, slot i is device (source) id i. */

/* The IOMMU (docs/iommu.md), present when the VMM runs with --iommu. */
#define IOMMU_MMIO_BASE     0xFED90000u
#define IOMMU_MMIO_SIZE     0x1000u
#define IOMMU_IRQ           9

/* Legacy devices. */
#define COM1_PORT           0x3F8
#define COM1_IRQ            4
#define TIMER_PORT          0x40
#define TIMER_IRQ           0
#define PIC_PORT            0x20
#define PIC_EOI             0x20
#define PIC_VECTOR_BASE     32
#define POWER_PORT          0xF4

/* fw_cfg: the VMM's read-only configuration items (QEMU's fw_cfg idea). Write a 16-bit item
 * selector to FWCFG_SELECT_PORT, then read the item from FWCFG_DATA_PORT: an 8-bit `in` gives
 * the next byte, a 32-bit `in` the next four (little-endian). Past the end reads give 0. */
#define FWCFG_SELECT_PORT   0x510
#define FWCFG_DATA_PORT     0x511
#define FWCFG_SIGNATURE     0x00   /* u32 'VFWC' = 0x43574656 */
#define FWCFG_MEM_SIZE      0x01   /* u32 bytes of RAM from guest-physical 0 */
#define FWCFG_CMDLINE_LEN   0x02   /* u32 bytes of the command line given to the VMM (0: none) */
#define FWCFG_CMDLINE       0x03   /* the command line bytes (no NUL) */
#define FWCFG_IOMMU_BASE    0x04   /* u32 MMIO base of the IOMMU, 0 when there is none */
#define FWCFG_IOMMU_IRQ     0x05   /* u32 its PIC line */
#define FWCFG_SIGNATURE_VALUE 0x43574656u

/* The boot-information block the firmware (disk boot) or the VMM (direct kernel boot) leaves
 * at BOOT_INFO_ADDR; the kernel is entered with eax = BOOT_MAGIC and ebx = BOOT_INFO_ADDR. */
#define BOOT_INFO_ADDR      0x7000u
#define BOOT_CMDLINE_ADDR   0x7100u
#define BOOT_CMDLINE_MAX    0xF00u
#define BOOT_MAGIC          0x31494256u   /* "VBI1" */
#define BOOT_NO_DEVICE      0xFFFFFFFFu
#define BOOT_MAX_DEVICES    8
#define BOOT_MAX_MEMMAP     4
#define MEMMAP_USABLE       1
#define MEMMAP_RESERVED     2

struct boot_memmap {
    unsigned int base;
    unsigned int length;
    unsigned int type;            /* MEMMAP_USABLE or MEMMAP_RESERVED */
};

struct boot_device {
    unsigned int mmio_base;       /* the virtio-mmio window */
    unsigned int mmio_size;
    unsigned int irq;             /* PIC line */
    unsigned int kind;            /* bits 15:0 virtio device id (1 net, 2 block); bits 31:16 IOMMU source id */
};

struct boot_info {
    unsigned int magic;           /* 0x00 BOOT_MAGIC */
    unsigned int mem_size;        /* 0x04 */
    unsigned int cmdline;         /* 0x08 guest-physical address of the NUL-terminated command line */
    unsigned int cmdline_len;     /* 0x0c without the NUL */
    unsigned int kernel_entry;    /* 0x10 */
    unsigned int kernel_end;      /* 0x14 first free byte above the kernel image, 4 KiB aligned */
    unsigned int boot_device;     /* 0x18 index into devices[] of the disk booted from, or BOOT_NO_DEVICE */
    unsigned int device_count;    /* 0x1c entries used in devices[] */
    unsigned int iommu_base;      /* 0x20 0: no IOMMU */
    unsigned int iommu_irq;       /* 0x24 */
    unsigned int memmap_count;    /* 0x28 entries used in memmap[] */
    unsigned int reserved;        /* 0x2c */
    struct boot_memmap memmap[BOOT_MAX_MEMMAP];   /* 0x30 */
    struct boot_device devices[BOOT_MAX_DEVICES]; /* 0x60 .. 0xe0 */
};

/* Network addressing of the user-mode ("slirp") backends: the guest is 10.0.2.15, the gateway
 * (the host side) 10.0.2.2, on a /24. */
#define NET_GUEST_IP        0x0A00020Fu   /* 10.0.2.15 */
#define NET_GATEWAY_IP      0x0A000202u   /* 10.0.2.2 */
#define NET_NETMASK         0xFFFFFF00u

#endif
