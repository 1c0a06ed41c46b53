/* cpubench: tests/cc/corpus/bench_strings.c with main renamed bench_strings (tests/os/user-cpubench checks they agree). */
/* Benchmark: a string workload: build lines with snprintf, split them into words, count word
 * frequencies in a hash table, and find the most frequent words. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#define LINES 4000
#define BUCKETS 1024

struct entry {
    char word[16];
    int count;
    struct entry *next;
};

static struct entry *table[BUCKETS];
static const char *vocabulary[] = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon",
};

static unsigned hash(const char *s) {
    unsigned h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static void count(const char *w) {
    unsigned h = hash(w) % BUCKETS;
    struct entry *e;
    for (e = table[h]; e; e = e->next)
        if (strcmp(e->word, w) == 0) {
            e->count++;
            return;
        }
    e = malloc(sizeof *e);
    strncpy(e->word, w, sizeof e->word - 1);
    e->word[sizeof e->word - 1] = 0;
    e->count = 1;
    e->next = table[h];
    table[h] = e;
}

int bench_strings(void) {
    char line[128];
    unsigned seed = 7;
    int i, words = 0, distinct = 0, best = 0;
    const char *best_word = "";
    for (i = 0; i < LINES; i++) {
        char *w;
        seed = seed * 1103515245u + 12345u;
        snprintf(line, sizeof line, "%s %s-%u %s %s%d", vocabulary[(seed >> 16) % 20], vocabulary[(seed >> 20) % 20],
                 (seed >> 24) % 8, vocabulary[(seed >> 8) % 20], vocabulary[(seed >> 12) % 7], i % 5);
        for (w = strtok(line, " -"); w; w = strtok(NULL, " -")) {
            count(w);
            words++;
        }
    }
    for (i = 0; i < BUCKETS; i++) {
        struct entry *e;
        for (e = table[i]; e; e = e->next) {
            distinct++;
            if (e->count > best || (e->count == best && strcmp(e->word, best_word) < 0)) {
                best = e->count;
                best_word = e->word;
            }
        }
    }
    printf("%d words, %d distinct, most frequent '%s' (%d)\n", words, distinct, best_word, best);
    return 0;
}
