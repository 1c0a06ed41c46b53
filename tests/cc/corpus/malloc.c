/* The heap: a linked list, a growing array, interleaved frees, calloc's zeroes, strdup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
    int value;
    struct item *next;
};

int main(void) {
    struct item *head = NULL, *it;
    int *grow = NULL;
    int cap = 0, len = 0, i, total = 0;
    char *blocks[50];
    int *zeroes;
    char *copy;
    for (i = 0; i < 100; i++) {
        it = malloc(sizeof *it);
        if (!it) return 1;
        it->value = i;
        it->next = head;
        head = it;
    }
    for (it = head; it; it = it->next) total += it->value;
    printf("list total %d\n", total);
    while (head) {
        it = head->next;
        free(head);
        head = it;
    }
    for (i = 0; i < 1000; i++) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4;
            grow = realloc(grow, (size_t)cap * sizeof *grow);
            if (!grow) return 2;
        }
        grow[len++] = i * 3;
    }
    total = 0;
    for (i = 0; i < len; i++) total += grow[i];
    printf("grown to %d, total %d\n", cap, total);
    free(grow);
    for (i = 0; i < 50; i++) {
        blocks[i] = malloc((size_t)(i * 37 % 200 + 1));
        memset(blocks[i], i, (size_t)(i * 37 % 200 + 1));
    }
    for (i = 0; i < 50; i += 2) free(blocks[i]);
    for (i = 1; i < 50; i += 2) {
        int j, ok = 1;
        for (j = 0; j < i * 37 % 200 + 1; j++) ok &= blocks[i][j] == i;
        if (!ok) printf("block %d corrupted\n", i);
        free(blocks[i]);
    }
    zeroes = calloc(100, sizeof *zeroes);
    total = 0;
    for (i = 0; i < 100; i++) total += zeroes[i];
    printf("calloc total %d\n", total);
    free(zeroes);
    copy = malloc(32);
    strcpy(copy, "duplicated");
    printf("%s\n", copy);
    free(copy);
    return 0;
}
