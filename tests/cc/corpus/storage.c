/* Storage classes and initializers: static locals, extern, const tables, nested and partial
 * initializers, string literal concatenation, sizeof, do-while, typedef'd function pointers. */
#include <stdio.h>
#include <string.h>

typedef int (*binop)(int, int);

extern int shared_counter;
int shared_counter = 100;

static const int primes[] = { 2, 3, 5, 7, 11, 13 };
static const char *const names[] = { "zero", "one", "two" };
static int matrix[3][4] = { { 1, 2 }, { 5, 6, 7, 8 }, [2][3] = 9 };
static char message[] = "concat" "enated " "literal";
static struct { const char *key; int value; } table[] = { { "a", 1 }, { "b", 2 }, { 0, 0 } };

static int next_id(void) {
    static int id = 10;
    return id++;
}

static int add(int a, int b) { return a + b; }
static int maxi(int a, int b) { return a > b ? a : b; }

static int fold(const int *v, int n, binop f, int start) {
    int i;
    for (i = 0; i < n; i++) start = f(start, v[i]);
    return start;
}

int main(void) {
    volatile int spin = 0;
    int i, j, n = 0;
    unsigned char wrap = 250;
    short s = 32000;
    binop ops[2] = { add, maxi };
    i = next_id();
    j = next_id();
    printf("%d %d %d\n", i, j, next_id());
    shared_counter += 5;
    printf("shared %d\n", shared_counter);
    printf("primes %d, sum %d, max %d\n", (int)(sizeof primes / sizeof primes[0]),
           fold(primes, 6, ops[0], 0), fold(primes, 6, ops[1], 0));
    printf("%s %s\n", names[2], message);
    printf("sizeof message %d, strlen %d\n", (int)sizeof message, (int)strlen(message));
    for (i = 0; i < 3; i++) {
        for (j = 0; j < 4; j++) printf("%d ", matrix[i][j]);
        printf("\n");
    }
    for (i = 0; table[i].key; i++) printf("%s=%d ", table[i].key, table[i].value);
    printf("\n");
    do {
        n += 3;
        spin++;
    } while (n < 20);
    printf("do-while n=%d spins=%d\n", n, spin);
    wrap += 10;
    s = (short)(s + 1000);
    printf("wrap %d short %d\n", wrap, s);
    {
        char buf[16];
        char *p = buf;
        const char *q = "copy me";
        while ((*p++ = *q++) != 0) {
        }
        printf("%s %d\n", buf, (int)(p - buf));
    }
    {
        int k = 5;
        int a = k++;
        a += ++k;
        printf("k %d a %d\n", k, a);
    }
    return 0;
}
