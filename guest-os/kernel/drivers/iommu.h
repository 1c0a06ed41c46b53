/* iommu.h: the emulated VT-d-style IOMMU (docs/iommu.md) as the DMA API uses it. Private to
 * drivers/. Every function here touches guest tables and, for invalidations, the registers:
 * each register write is one MMIO exit under emulation, which is the cost strict mode pays. */
#ifndef _VAMOS_IOMMU_H
#define _VAMOS_IOMMU_H

#include "kernel.h"

#define IOMMU_PTE_P  1u
#define IOMMU_PTE_R  2u
#define IOMMU_PTE_W  4u

/* Device table, a page directory per device of boot_info, translation on, fault interrupt
 * unmasked. 0, or -E_* (translation then stays off). */
int iommu_enable(void);
/* Maps one IOVA page of device `sid` to `pa` with IOMMU_PTE_R/W perms; 0 or -E_NOMEM. */
int iommu_map_page(unsigned sid, uint32_t iova, uint32_t pa, unsigned perms);
void iommu_unmap_page(unsigned sid, uint32_t iova);
/* Page-selective invalidation of the aligned 2^AM block covering [iova, iova + n pages):
 * IVA then IOTLB, two register writes. */
void iommu_inv_pages(unsigned sid, uint32_t iova, unsigned npages);
void iommu_inv_device(unsigned sid);      /* one register write */
void iommu_inv_global(void);              /* one register write */
unsigned iommu_faults_logged(void);

#endif
