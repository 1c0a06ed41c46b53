/* core/loader.c: loads an MXI program from the boot file system into a new address space
 * (docs/guest-os.md, "Processes"; the format: guest-os/include/mxi.h, docs/image-format.md).
 *
 * Every field is checked before it is used: a bad image is an error for the caller (spawn
 * returns it), never a panic. The user entry ABI (common.md): eip = entry, eax = heap base,
 * ecx = heap size, esp -> [argc][argv], argv[argc] = NULL, strings at the top of the stack. */
#include <stdlib.h>
#include <string.h>
#include "kcore.h"
#include "../../include/mxi.h"

#define IMAGE_MAX     (1024u * 1024)      /* larger program files are refused */
#define USER_HEAP     (1024u * 1024)     /* default; heap=<KiB> on the command line */
#define USER_HEAP_MAX (256u * 1024 * 1024)
#define ARGS_MAX      1024
#define ARGC_MAX      64

/* The heap size of every process: USER_HEAP, or heap=<KiB> (whole pages, 4 KiB..256 MiB). */
static uint32_t user_heap_size(void) {
    static uint32_t size;
    char buf[16];
    if (size == 0) {
        size = USER_HEAP;
        if (cmdline_get("heap", buf, sizeof buf) != NULL) {
            uint32_t kib = (uint32_t)atoi(buf);
            if (kib >= 4 && kib <= USER_HEAP_MAX / 1024) size = (kib * 1024) & ~(PAGE_SIZE - 1);
        }
    }
    return size;
}

static int map_zeroed(uint32_t pgdir, uint32_t start, uint32_t end, int writable) {
    uint32_t va;
    for (va = start; va < end; va += PAGE_SIZE) {
        uint32_t pa = user_page_pa(pgdir, va);
        int err;
        if (pa != 0) {                         /* shared with a previous segment */
            if (writable) map_user_page(pgdir, va, pa, 1);
            continue;
        }
        pa = page_alloc();
        if (pa == 0) return -E_NOMEM;
        err = map_user_page(pgdir, va, pa, writable);
        if (err < 0) {
            page_free(pa);
            return err;
        }
    }
    return 0;
}

/* Copies bytes into the process's pages through the kernel's identity map. */
static void copy_into(uint32_t pgdir, uint32_t va, const uint8_t *src, uint32_t len) {
    while (len > 0) {
        uint32_t off = va & (PAGE_SIZE - 1), n = PAGE_SIZE - off;
        if (n > len) n = len;
        memcpy((uint8_t *)(user_page_pa(pgdir, va) + off), src, n);
        va += n;
        src += n;
        len -= n;
    }
}

static int check_image(const uint8_t *img, uint32_t size, uint32_t *top) {
    const struct mxi_header *h = (const struct mxi_header *)img;
    const struct mxi_segment *seg;
    unsigned i;
    int entry_ok = 0;
    uint32_t limit = USER_TOP - USER_STACK - USER_STACK_GUARD - user_heap_size();
    if (size < MXI_HEADER_SIZE || h->magic != MXI_MAGIC || h->version != MXI_VERSION ||
        h->header_size != MXI_HEADER_SIZE || h->flags != 0) return -E_INVAL;
    if (h->segment_count == 0 || h->segment_count > MXI_MAX_SEGMENTS) return -E_INVAL;
    if ((h->segment_offset & 3) != 0 || h->segment_offset > size ||
        size - h->segment_offset < (uint32_t)h->segment_count * MXI_SEGMENT_SIZE) return -E_INVAL;
    seg = (const struct mxi_segment *)(img + h->segment_offset);
    *top = USER_BASE;
    for (i = 0; i < h->segment_count; i++) {
        const struct mxi_segment *s = &seg[i];
        if (s->flags & ~MXI_SEG_FLAGS_MASK) return -E_INVAL;
        if (s->file_size > s->mem_size) return -E_INVAL;
        if (s->file_offset > size || size - s->file_offset < s->file_size) return -E_INVAL;
        if (s->mem_size == 0) continue;
        if (s->vaddr < USER_BASE || s->vaddr >= USER_TOP) return -E_INVAL;
        /* Room for the segment plus the heap, the stack guard and the stack below USER_TOP. */
        if (s->vaddr > limit || s->mem_size > limit - s->vaddr) return -E_INVAL;
        if ((s->flags & MXI_SEG_X) && h->entry >= s->vaddr && h->entry - s->vaddr < s->mem_size) entry_ok = 1;
        if (s->vaddr + s->mem_size > *top) *top = s->vaddr + s->mem_size;
    }
    if (!entry_ok || (h->entry & 3) != 0) return -E_INVAL;
    return 0;
}

/* argv at the top of the stack: the strings, then the pointer array, then argc and argv. */
static int push_args(struct proc *p, const char *args, struct trapframe *tf) {
    char words[ARGS_MAX + PROC_NAME_MAX + 2];
    uint32_t ptrs[ARGC_MAX + 3];
    uint32_t va, strings;
    unsigned argc = 0, n = 0, len, i;
    const char *a = args ? args : "";
    len = strlen(p->name);
    memcpy(words, p->name, len + 1);
    n = len + 1;
    argc = 1;
    if (strlen(a) > ARGS_MAX) return -E_INVAL;
    while (*a) {
        while (*a == ' ') a++;
        if (*a == 0) break;
        if (argc == ARGC_MAX) return -E_INVAL;
        argc++;
        while (*a && *a != ' ') words[n++] = *a++;
        words[n++] = 0;
    }
    strings = (USER_TOP - n) & ~3u;
    /* The pointers, rewritten to user addresses, argv[argc] = NULL. */
    va = strings;
    for (i = 0, len = 0; i < argc; i++) {
        ptrs[2 + i] = strings + len;
        len += strlen(words + len) + 1;
    }
    ptrs[2 + argc] = 0;
    va = strings - (argc + 1) * 4;      /* argv array */
    ptrs[0] = argc;
    ptrs[1] = va;
    va -= 8;                            /* esp: argc, argv */
    copy_into(p->pgdir, strings, (const uint8_t *)words, n);
    copy_into(p->pgdir, va, (const uint8_t *)ptrs, (argc + 3) * 4);
    tf->esp = va;
    return 0;
}

int load_program(struct proc *p, const char *path, const char *args, struct trapframe *tf) {
    const struct bootfs_entry *f = bootfs_find(path);
    const struct mxi_header *h;
    const struct mxi_segment *seg;
    uint8_t *img;
    uint32_t top, heap, entry;
    unsigned i;
    int err;
    if (f == NULL) return -E_NOENT;
    if ((f->flags & BOOTFS_F_EXEC) == 0) return -E_PERM;
    if (f->size > IMAGE_MAX) return -E_NOMEM;
    img = malloc(f->size ? f->size : 1);
    if (img == NULL) return -E_NOMEM;
    err = bootfs_read(f, 0, img, f->size);
    if (err >= 0 && (uint32_t)err != f->size) err = -E_IO;
    if (err >= 0) err = check_image(img, f->size, &top);
    if (err < 0) {
        free(img);
        return err;
    }
    p->pgdir = pgdir_create();
    if (p->pgdir == 0) {
        free(img);
        return -E_NOMEM;
    }
    h = (const struct mxi_header *)img;
    seg = (const struct mxi_segment *)(img + h->segment_offset);
    for (i = 0; i < h->segment_count && err >= 0; i++) {
        const struct mxi_segment *s = &seg[i];
        if (s->mem_size == 0) continue;
        err = map_zeroed(p->pgdir, s->vaddr & ~(PAGE_SIZE - 1), s->vaddr + s->mem_size, (s->flags & MXI_SEG_W) != 0);
        if (err >= 0) copy_into(p->pgdir, s->vaddr, img + s->file_offset, s->file_size);
    }
    entry = h->entry;
    free(img);
    if (err < 0) return err;
    heap = (top + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    err = map_zeroed(p->pgdir, heap, heap + user_heap_size(), 1);
    if (err < 0) return err;
    err = map_zeroed(p->pgdir, USER_TOP - USER_STACK, USER_TOP, 1);
    if (err < 0) return err;
    err = push_args(p, args, tf);
    if (err < 0) return err;
    tf->eip = entry;
    tf->eax = heap;
    tf->ecx = user_heap_size();
    return 0;
}
