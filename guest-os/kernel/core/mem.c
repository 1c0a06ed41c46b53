/* core/mem.c: physical pages, the kernel heap, page tables and user-memory checks
 * (docs/guest-os.md, "Memory").
 *
 * RAM from 0 to ram_top is identity-mapped for the kernel (supervisor pages; page 0 left
 * unmapped so that null pointers fault). ram_top is mem_size, capped at USER_BASE so the
 * identity map never overlaps user space. Device windows are identity-mapped too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mx86.h>
#include "kcore.h"

#define MAX_PAGES        (USER_BASE / PAGE_SIZE)
#define HEAP_MAX         (2u * 1024 * 1024)
#define PDE_INDEX(va)    ((uint32_t)(va) >> 22)
#define PTE_INDEX(va)    (((uint32_t)(va) >> 12) & 0x3FF)
#define FRAME(e)         ((e) & 0xFFFFF000u)

uint32_t kernel_pgdir;
uint32_t ram_top;
static uint32_t page_bitmap[MAX_PAGES / 32];   /* 1 = free */
static unsigned free_pages;
static unsigned alloc_hint;                    /* word index where the last search ended */

/* ---- physical pages --------------------------------------------------------------------- */
static void mark_free_range(uint32_t start, uint32_t end) {
    uint32_t n, last;
    start = (start + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    end &= ~(PAGE_SIZE - 1);
    if (end > ram_top) end = ram_top;
    if (start >= end) return;
    last = end / PAGE_SIZE;
    for (n = start / PAGE_SIZE; n < last; ) {
        /* Whole bitmap words at a time where the range covers them (boot: 16K pages). */
        if (n % 32 == 0 && last - n >= 32 && page_bitmap[n / 32] == 0) {
            page_bitmap[n / 32] = 0xFFFFFFFFu;
            free_pages += 32;
            n += 32;
            continue;
        }
        if ((page_bitmap[n / 32] & (1u << (n % 32))) == 0) {
            page_bitmap[n / 32] |= 1u << (n % 32);
            free_pages++;
        }
        n++;
    }
}

void mem_init(void) {
    uint32_t kend = (boot_info->kernel_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    uint32_t heap_size, heap_end;
    unsigned i;
    ram_top = boot_info->mem_size & ~(PAGE_SIZE - 1);
    if (ram_top > USER_BASE) ram_top = USER_BASE;
    if (kend < 0x100000) kend = 0x100000;
    if (kend >= ram_top) panic("the kernel (ends at 0x%x) leaves no free memory", kend);
    /* The heap comes first, right above the kernel: a quarter of what is left, at most 2 MiB. */
    heap_size = ((ram_top - kend) / 4) & ~(PAGE_SIZE - 1);
    if (heap_size > HEAP_MAX) heap_size = HEAP_MAX;
    heap_end = kend + heap_size;
    __libc_heap_init((void *)kend, heap_size);
    if (boot_info->memmap_count == 0) {
        mark_free_range(heap_end, ram_top);
    } else {
        for (i = 0; i < boot_info->memmap_count; i++) {
            const struct boot_memmap *m = &boot_info->memmap[i];
            uint32_t base = m->base, end = m->base + m->length;
            if (m->type != MEMMAP_USABLE) continue;
            if (end < base) end = 0xFFFFF000u;          /* wraps: up to the top */
            if (base < heap_end) base = heap_end;
            if (base < end) mark_free_range(base, end);
        }
    }
}

uint32_t page_alloc(void) {
    unsigned words = ram_top / PAGE_SIZE / 32, k;
    for (k = 0; k < words; k++) {
        unsigned w = (alloc_hint + k) % words;
        uint32_t bits = page_bitmap[w];
        if (bits != 0) {
            unsigned b = 0;
            uint32_t pa;
            while ((bits & (1u << b)) == 0) b++;
            page_bitmap[w] = bits & ~(1u << b);
            free_pages--;
            alloc_hint = w;
            pa = (w * 32 + b) * PAGE_SIZE;
            zero_page(pa);
            return pa;
        }
    }
    return 0;
}

void page_free(uint32_t pa) {
    uint32_t n = pa / PAGE_SIZE;
    if ((pa & (PAGE_SIZE - 1)) != 0 || pa >= ram_top || pa == 0) panic("page_free(0x%x): not a page", pa);
    if (page_bitmap[n / 32] & (1u << (n % 32))) panic("page_free(0x%x): already free", pa);
    page_bitmap[n / 32] |= 1u << (n % 32);
    free_pages++;
}

unsigned pages_free_count(void) { return free_pages; }

/* n physically contiguous pages, zeroed; 0 when no run that long is free. Only kernel stacks
 * need this (a DMA buffer on one must be contiguous for untranslated DMA), and only at spawn,
 * so a first-fit scan from the bottom is enough. */
static uint32_t page_alloc_run(unsigned n) {
    unsigned total = ram_top / PAGE_SIZE, run = 0, i, k;
    for (i = 0; i < total; i++) {
        if ((i & 31) == 0 && page_bitmap[i / 32] == 0) {
            run = 0;
            i += 31;
            continue;
        }
        if ((page_bitmap[i / 32] & (1u << (i & 31))) == 0) {
            run = 0;
            continue;
        }
        if (++run < n) continue;
        for (k = i + 1 - n; k <= i; k++) {
            page_bitmap[k / 32] &= ~(1u << (k & 31));
            free_pages--;
            zero_page(k * PAGE_SIZE);
        }
        return (i + 1 - n) * PAGE_SIZE;
    }
    return 0;
}

/* ---- page tables ------------------------------------------------------------------------- */
/* The PTE slot for va in pgdir, creating its page table (PDE flags pde_flags) if asked. */
static uint32_t *pte_slot(uint32_t pgdir, uint32_t va, uint32_t pde_flags, int create) {
    uint32_t *pd = (uint32_t *)pgdir;
    uint32_t pde = pd[PDE_INDEX(va)];
    if ((pde & PTE_P) == 0) {
        uint32_t pt;
        if (!create) return NULL;
        pt = page_alloc();
        if (pt == 0) return NULL;
        pde = pt | pde_flags;
        pd[PDE_INDEX(va)] = pde;
    }
    return (uint32_t *)FRAME(pde) + PTE_INDEX(va);
}

static void kernel_map_range(uint32_t start, uint32_t end, uint32_t flags) {
    uint32_t va = start & ~(PAGE_SIZE - 1);
    while (va < end && va >= (start & ~(PAGE_SIZE - 1))) {
        /* One walk per page table, then fill its entries directly. */
        uint32_t *pte = pte_slot(kernel_pgdir, va, PTE_P | PTE_RW, 1);
        if (pte == NULL) panic("out of memory for the kernel's page tables");
        do {
            *pte++ = va | flags;
            va += PAGE_SIZE;
        } while (va < end && va != 0 && PTE_INDEX(va) != 0);
        if (va == 0) break;
    }
}

void paging_init(void) {
    unsigned i;
    kernel_pgdir = page_alloc();
    if (kernel_pgdir == 0) panic("out of memory for the kernel's page directory");
    /* The kernel stacks' page table exists before any process's page directory copies the
     * kernel's entries, so a stack mapped later is seen by every address space. */
    if (pte_slot(kernel_pgdir, KSTACK_AREA, PTE_P | PTE_RW, 1) == NULL) panic("out of memory for the kernel's page tables");
    kernel_map_range(PAGE_SIZE, ram_top, PTE_P | PTE_RW);
    for (i = 0; i < boot_info->device_count; i++) {
        const struct boot_device *d = &boot_info->devices[i];
        uint32_t size = d->mmio_size ? d->mmio_size : PAGE_SIZE;
        if (d->mmio_base >= USER_BASE && d->mmio_base < USER_TOP) panic("device window 0x%x in user space", d->mmio_base);
        kernel_map_range(d->mmio_base, d->mmio_base + size, PTE_P | PTE_RW | PTE_PCD);
    }
    if (boot_info->iommu_base != 0) {
        kernel_map_range(boot_info->iommu_base, boot_info->iommu_base + IOMMU_MMIO_SIZE, PTE_P | PTE_RW | PTE_PCD);
    }
    __mx86_write_cr3(kernel_pgdir);
    __mx86_write_cr0(__mx86_read_cr0() | CR0_PG | CR0_WP);
}

uint32_t pgdir_create(void) {
    uint32_t pd = page_alloc();
    unsigned i;
    if (pd == 0) return 0;
    for (i = 0; i < 1024; i++) {
        if (i >= PDE_INDEX(USER_BASE) && i < PDE_INDEX(USER_TOP)) continue;
        ((uint32_t *)pd)[i] = ((uint32_t *)kernel_pgdir)[i];
    }
    return pd;
}

void pgdir_free(uint32_t pgdir) {
    uint32_t *pd = (uint32_t *)pgdir;
    unsigned i, j;
    for (i = PDE_INDEX(USER_BASE); i < PDE_INDEX(USER_TOP); i++) {
        uint32_t *pt;
        if ((pd[i] & PTE_P) == 0) continue;
        pt = (uint32_t *)FRAME(pd[i]);
        for (j = 0; j < 1024; j++) {
            if (pt[j] & PTE_P) page_free(FRAME(pt[j]));
        }
        page_free(FRAME(pd[i]));
    }
    page_free(pgdir);
}

int map_user_page(uint32_t pgdir, uint32_t va, uint32_t pa, int writable) {
    uint32_t *pte;
    if (va < USER_BASE || va >= USER_TOP) return -E_FAULT;
    pte = pte_slot(pgdir, va, PTE_P | PTE_RW | PTE_US, 1);
    if (pte == NULL) return -E_NOMEM;
    *pte = pa | PTE_P | PTE_US | (writable ? PTE_RW : 0);
    return 0;
}

uint32_t user_page_pa(uint32_t pgdir, uint32_t va) {
    uint32_t *pte = pte_slot(pgdir, va, 0, 0);
    if (pte == NULL || (*pte & (PTE_P | PTE_US)) != (PTE_P | PTE_US)) return 0;
    return FRAME(*pte);
}

/* ---- kernel stacks ------------------------------------------------------------------------ */
void *kstack_alloc(unsigned slot) {
    uint32_t va = KSTACK_AREA + slot * KSTACK_SLOT + PAGE_SIZE, pa, off;
    pa = page_alloc_run(KSTACK_SIZE / PAGE_SIZE);
    if (pa == 0) return NULL;
    for (off = 0; off < KSTACK_SIZE; off += PAGE_SIZE) {
        *pte_slot(kernel_pgdir, va + off, 0, 0) = (pa + off) | PTE_P | PTE_RW;
        __mx86_invlpg((void *)(va + off));
    }
    return (void *)va;
}

void kstack_free(unsigned slot) {
    uint32_t va = KSTACK_AREA + slot * KSTACK_SLOT + PAGE_SIZE, off;
    for (off = 0; off < KSTACK_SIZE; off += PAGE_SIZE) {
        uint32_t *pte = pte_slot(kernel_pgdir, va + off, 0, 0);
        if ((*pte & PTE_P) == 0) continue;
        page_free(FRAME(*pte));
        *pte = 0;
        __mx86_invlpg((void *)(va + off));
    }
}

/* The physical address of a kernel pointer: identity everywhere but the kernel stacks. */
uint32_t kernel_pa(const void *p) {
    uint32_t va = (uint32_t)p, *pte;
    if (va < KSTACK_AREA || va >= KSTACK_AREA + NPROC * KSTACK_SLOT) return va;
    pte = pte_slot(kernel_pgdir, va, 0, 0);
    if ((*pte & PTE_P) == 0) panic("kernel_pa(0x%x): not mapped", va);
    return FRAME(*pte) | (va & (PAGE_SIZE - 1));
}

/* ---- user memory ------------------------------------------------------------------------- */
/* 1 when every page of [p, p+len) is present user memory of the current process (writable
 * too if asked); 0 otherwise. A zero length is fine anywhere. Walks the page tables rather
 * than trusting a fault, so the kernel never takes a page fault on a user pointer. */
int user_range_ok(const void *p, unsigned len, int write) {
    uint32_t va = (uint32_t)p, last, pd;
    if (len == 0) return 1;
    if (current == NULL) return 0;
    last = va + len - 1;
    if (last < va || va < USER_BASE || last >= USER_TOP) return 0;
    pd = current->pgdir;
    for (va &= ~(PAGE_SIZE - 1); ; va += PAGE_SIZE) {
        uint32_t pde = ((uint32_t *)pd)[PDE_INDEX(va)], pte;
        if ((pde & (PTE_P | PTE_US)) != (PTE_P | PTE_US)) return 0;
        pte = ((uint32_t *)FRAME(pde))[PTE_INDEX(va)];
        if ((pte & (PTE_P | PTE_US)) != (PTE_P | PTE_US)) return 0;
        if (write && ((pte & PTE_RW) == 0 || (pde & PTE_RW) == 0)) return 0;
        if (va >= (last & ~(PAGE_SIZE - 1))) return 1;
    }
}

int copy_from_user(void *dst, const void *src, unsigned len) {
    if (!user_range_ok(src, len, 0)) return -E_FAULT;
    memcpy(dst, src, len);
    return 0;
}

int copy_to_user(void *dst, const void *src, unsigned len) {
    if (!user_range_ok(dst, len, 1)) return -E_FAULT;
    memcpy(dst, src, len);
    return 0;
}

/* Copies a NUL-terminated user string into dst[size]; its length, -E_FAULT if it runs into
 * memory that is not the process's, -E_INVAL if it does not fit. */
int strncpy_from_user(char *dst, const char *src, unsigned size) {
    unsigned n = 0;
    while (n < size) {
        /* Check a page at a time: the rest of src's page, at most. */
        unsigned chunk = PAGE_SIZE - (((uint32_t)src + n) & (PAGE_SIZE - 1));
        unsigned k;
        if (chunk > size - n) chunk = size - n;
        if (!user_range_ok(src + n, chunk, 0)) return -E_FAULT;
        for (k = 0; k < chunk; k++, n++) {
            dst[n] = src[n];
            if (dst[n] == 0) return (int)n;
        }
    }
    if (size > 0) dst[size - 1] = 0;
    return -E_INVAL;
}
