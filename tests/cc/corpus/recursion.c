/* Recursion: deep, mutual, and with many live values across calls. */
#include <stdio.h>

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int ack(int m, int n) {
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static int is_odd(int n);
static int is_even(int n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(int n) { return n == 0 ? 0 : is_even(n - 1); }

static int moves;
static void hanoi(int n, int from, int to, int via) {
    if (n == 0) return;
    hanoi(n - 1, from, via, to);
    moves++;
    hanoi(n - 1, via, to, from);
}

static int depth(int n) { return n == 0 ? 0 : 1 + depth(n - 1); }

static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }

static void permute(char *s, int k, int n, int *count) {
    int i;
    if (k == n) {
        if (*count < 6) printf("%s\n", s);
        (*count)++;
        return;
    }
    for (i = k; i < n; i++) {
        char t = s[k]; s[k] = s[i]; s[i] = t;
        permute(s, k + 1, n, count);
        t = s[k]; s[k] = s[i]; s[i] = t;
    }
}

int main(void) {
    char word[] = "abcd";
    int count = 0;
    printf("fib(20) = %d\n", fib(20));
    printf("ack(2, 3) = %d\n", ack(2, 3));
    printf("is_even(101) = %d\n", is_even(101));
    hanoi(10, 1, 3, 2);
    printf("hanoi(10) moves = %d\n", moves);
    printf("depth(10000) = %d\n", depth(10000));
    printf("gcd(1071, 462) = %d\n", gcd(1071, 462));
    permute(word, 0, 4, &count);
    printf("permutations = %d\n", count);
    return 0;
}
