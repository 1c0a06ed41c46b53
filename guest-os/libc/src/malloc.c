/*
 * malloc and friends: a first-fit free list kept in address order, so free() merges a block
 * with both neighbours (Kernighan and Ritchie's allocator, over one fixed arena).
 */
#include <stdlib.h>
#include <string.h>

typedef struct header {
    struct header *next; /* the next free block, in address order (free blocks only) */
    size_t units;        /* size of the block in headers, this one included */
} Header;

static Header *free_list;

void __libc_heap_init(void *start, size_t len) {
    size_t skew = (8 - ((size_t)start & 7)) & 7;
    Header *h;
    if (len <= skew + 2 * sizeof(Header)) {
        free_list = NULL;
        return;
    }
    h = (Header *)((char *)start + skew);
    h->units = (len - skew) / sizeof(Header);
    h->next = NULL;
    free_list = h;
}

void *malloc(size_t size) {
    Header *prev = NULL;
    Header *p;
    size_t units;
    if (size == 0 || size > 0x7fffffffu) return NULL;
    units = (size + sizeof(Header) - 1) / sizeof(Header) + 1;
    for (p = free_list; p != NULL; prev = p, p = p->next) {
        if (p->units < units) continue;
        if (p->units - units < 2) {
            if (prev) prev->next = p->next;
            else free_list = p->next;
        } else {
            /* Hand out the tail: the free block keeps its place in the list. */
            p->units -= units;
            p += p->units;
            p->units = units;
        }
        p->next = NULL;
        return p + 1;
    }
    return NULL;
}

void free(void *ptr) {
    Header *b;
    Header *prev = NULL;
    Header *next;
    if (ptr == NULL) return;
    b = (Header *)ptr - 1;
    next = free_list;
    while (next != NULL && next < b) {
        prev = next;
        next = next->next;
    }
    if (next != NULL && b + b->units == next) {
        b->units += next->units;
        b->next = next->next;
    } else {
        b->next = next;
    }
    if (prev != NULL && prev + prev->units == b) {
        prev->units += b->units;
        prev->next = b->next;
    } else if (prev != NULL) {
        prev->next = b;
    } else {
        free_list = b;
    }
}

void *calloc(size_t count, size_t size) {
    void *p;
    if (size != 0 && count > 0x7fffffffu / size) return NULL;
    p = malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *realloc(void *ptr, size_t size) {
    Header *b;
    size_t have;
    void *q;
    if (ptr == NULL) return malloc(size);
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    b = (Header *)ptr - 1;
    have = (b->units - 1) * sizeof(Header);
    if (size <= have) return ptr;
    q = malloc(size);
    if (q == NULL) return NULL;
    memcpy(q, ptr, have);
    free(ptr);
    return q;
}
