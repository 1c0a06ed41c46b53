/* iommu.c: programming the emulated IOMMU (docs/iommu.md): registers, the device table, the
 * two-level page tables and the fault records.
 *
 * One domain per device: each source id gets its own page directory, so a device can reach only
 * the buffers mapped for it (the point of an IOMMU: a blk device cannot scribble on the net
 * device's receive buffers). The IOVA allocator in dma.c is shared, which keeps IOVAs unique
 * across devices and costs nothing: a device never sees the other domains' pages anyway. */
#include "iommu.h"
#include <stdio.h>

#define REG_CAP     0x008
#define REG_GCMD    0x018
#define REG_GSTS    0x01C
#define REG_RTADDR  0x020
#define REG_FSTS    0x034
#define REG_FECTL   0x038
#define REG_IVA     0x0F0
#define REG_IOTLB   0x0F8
#define REG_FRCD    0x100
#define FRCD_STRIDE 16

#define GCMD_TE     0x80000000u
#define GCMD_SRTP   0x40000000u
#define GSTS_TES    0x80000000u
#define FSTS_PFO    1u
#define FRCD_F      0x80000000u
#define FRCD_T_READ 0x40000000u
#define IOTLB_IVT   0x80000000u
#define IIRG_GLOBAL (1u << 28)
#define IIRG_DEVICE (2u << 28)
#define IIRG_PAGE   (3u << 28)

#define MAX_SID 256

static uint32_t base;
static volatile uint32_t *devtab;           /* 256 entries of 4 dwords */
static volatile uint32_t *pdir[MAX_SID];    /* per device, NULL until it gets a domain */
static unsigned faults_logged;

static uint32_t rd(unsigned off) { return *(volatile uint32_t *)(base + off); }
static void wr(unsigned off, uint32_t v) { *(volatile uint32_t *)(base + off) = v; }

/* A page directory for `sid` and its device-table entry (present, translate). */
static int domain_for(unsigned sid) {
    uint32_t pd;
    if (sid >= MAX_SID) return -E_INVAL;
    if (pdir[sid] != NULL) return 0;
    pd = page_alloc();
    if (pd == 0) return -E_NOMEM;
    pdir[sid] = (volatile uint32_t *)pd;
    devtab[4 * sid] = pd | 1u;              /* P = 1, TT = 0: translate */
    return 0;
}

/* Logs and clears every fault record, then the overflow bit (docs/iommu.md "Fault handler"). */
static void fault_irq(void *arg) {
    unsigned n = rd(REG_CAP) & 0xff, i;
    uint32_t fsts = rd(REG_FSTS);
    (void)arg;
    for (i = 0; i < n; i++) {
        unsigned r = REG_FRCD + i * FRCD_STRIDE;
        uint32_t stat = rd(r + 12);
        if ((stat & FRCD_F) == 0) continue;
        faults_logged++;
        printf("iommu: fault: device %u %s at iova 0x%x, reason 0x%x\n", rd(r + 8) & 0xffff,
               (stat & FRCD_T_READ) ? "read" : "write", rd(r) & 0xfffff000u, stat & 0xff);
        wr(r + 12, FRCD_F);
    }
    if (fsts & FSTS_PFO) printf("iommu: fault records overflowed; some faults were not logged\n");
    wr(REG_FSTS, FSTS_PFO);
}

int iommu_enable(void) {
    uint32_t dt;
    unsigned i;
    base = boot_info->iommu_base;
    dt = page_alloc();
    if (dt == 0) return -E_NOMEM;
    devtab = (volatile uint32_t *)dt;
    for (i = 0; i < boot_info->device_count && i < BOOT_MAX_DEVICES; i++)
        if (domain_for(boot_info->devices[i].kind >> 16) != 0) return -E_NOMEM;
    /* VT-d's idiom: GCMD is the current status plus one command. A newly latched table needs
     * a global invalidation before translation is trusted. */
    wr(REG_RTADDR, dt);
    wr(REG_GCMD, rd(REG_GSTS) | GCMD_SRTP);
    wr(REG_IOTLB, IOTLB_IVT | IIRG_GLOBAL);
    wr(REG_GCMD, rd(REG_GSTS) | GCMD_TE);
    if ((rd(REG_GSTS) & GSTS_TES) == 0) return -E_IO;
    irq_register(boot_info->iommu_irq, fault_irq, NULL);
    wr(REG_FECTL, 0);                        /* unmask the fault interrupt (IM is set at reset) */
    return 0;
}

int iommu_map_page(unsigned sid, uint32_t iova, uint32_t pa, unsigned perms) {
    volatile uint32_t *pd, *pt;
    uint32_t pde;
    if (domain_for(sid) != 0) return -E_NOMEM;
    pd = pdir[sid];
    pde = pd[iova >> 22];
    if ((pde & IOMMU_PTE_P) == 0) {
        uint32_t p = page_alloc();
        if (p == 0) return -E_NOMEM;
        /* Directory entries grant everything; the page-table entry decides. */
        pde = p | IOMMU_PTE_P | IOMMU_PTE_R | IOMMU_PTE_W;
        pd[iova >> 22] = pde;
    }
    pt = (volatile uint32_t *)(pde & 0xfffff000u);
    pt[(iova >> 12) & 0x3ff] = (pa & 0xfffff000u) | IOMMU_PTE_P | perms;
    return 0;
}

void iommu_unmap_page(unsigned sid, uint32_t iova) {
    volatile uint32_t *pt;
    uint32_t pde;
    if (sid >= MAX_SID || pdir[sid] == NULL) return;
    pde = pdir[sid][iova >> 22];
    if ((pde & IOMMU_PTE_P) == 0) return;
    pt = (volatile uint32_t *)(pde & 0xfffff000u);
    pt[(iova >> 12) & 0x3ff] = 0;
}

void iommu_inv_pages(unsigned sid, uint32_t iova, unsigned npages) {
    uint32_t first = iova >> 12, last = first + npages - 1;
    unsigned am = 0;
    while ((first >> am) != (last >> am)) am++;
    wr(REG_IVA, (iova & 0xfffff000u) | am);
    wr(REG_IOTLB, IOTLB_IVT | IIRG_PAGE | sid);
}

void iommu_inv_device(unsigned sid) {
    wr(REG_IOTLB, IOTLB_IVT | IIRG_DEVICE | sid);
}

void iommu_inv_global(void) {
    wr(REG_IOTLB, IOTLB_IVT | IIRG_GLOBAL);
}

unsigned iommu_faults_logged(void) {
    return faults_logged;
}
