/* switch: dense and sparse cases, fall-through, default in the middle, nested loops. */
#include <stdio.h>

static const char *name(int d) {
    switch (d) {
    case 0: return "zero";
    case 1: return "one";
    case 2: return "two";
    case 3: return "three";
    case 4: return "four";
    case 5: return "five";
    default: return "many";
    case -1: return "minus one";
    }
}

static int sparse(int v) {
    switch (v) {
    case 1000: return 1;
    case -5000: return 2;
    case 77: return 3;
    case 1 << 20: return 4;
    }
    return 0;
}

static int fall(int v) {
    int r = 0;
    switch (v) {
    case 1: r += 1;
    /* fall through */
    case 2: r += 10;
    /* fall through */
    case 3: r += 100; break;
    case 4: { r = 4; break; }
    default: r = -1;
    }
    return r;
}

int main(void) {
    int i, total = 0;
    for (i = -2; i < 8; i++) printf("%d %s\n", i, name(i));
    printf("%d %d %d %d %d\n", sparse(1000), sparse(-5000), sparse(77), sparse(1 << 20), sparse(3));
    for (i = 0; i < 6; i++) printf("fall(%d) = %d\n", i, fall(i));
    for (i = 0; i < 20; i++) {
        switch (i % 4) {
        case 0: continue;
        case 1: total += i; break;
        case 2: if (i > 12) break; total += 100; break;
        default: total -= 1;
        }
        if (total > 1000) break;
    }
    printf("total = %d\n", total);
    {
        char c = 'q';
        switch (c) {
        case 'a': case 'e': case 'i': case 'o': case 'u': printf("vowel\n"); break;
        default: printf("consonant %c\n", c);
        }
    }
    return 0;
}
