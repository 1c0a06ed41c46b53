/* stdlib.h. The heap is whatever the environment hands to __libc_heap_init. */
#ifndef _STDLIB_H
#define _STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define RAND_MAX 32767

void *malloc(size_t size);
void free(void *p);
void *calloc(size_t count, size_t size);
void *realloc(void *p, size_t size);

int atoi(const char *s);
long atol(const char *s);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);

int abs(int v);
long labs(long v);
long long llabs(long long v);

void qsort(void *base, size_t count, size_t size, int (*compar)(const void *, const void *));
void *bsearch(const void *key, const void *base, size_t count, size_t size, int (*compar)(const void *, const void *));

int rand(void);
void srand(unsigned int seed);

void exit(int status);
void abort(void);

/* The environment (crt0, a kernel) gives the allocator its memory. */
void __libc_heap_init(void *start, size_t len);

#endif
