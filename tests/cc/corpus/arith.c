/* Integer arithmetic: the usual conversions, division and remainder signs, shifts, narrowing. */
#include <stdio.h>
#include <limits.h>

static int check(const char *what, long long got, long long want) {
    printf("%-28s %lld%s\n", what, got, got == want ? "" : "  WRONG");
    return got != want;
}

int main(void) {
    int bad = 0;
    int a = 17, b = -5;
    unsigned u = 3000000000u;
    short s = -12345;
    unsigned short us = 60000;
    signed char c = -100;
    unsigned char uc = 200;
    bad += check("17 / -5", a / b, -3);
    bad += check("17 % -5", a % b, 2);
    bad += check("-17 / 5", -a / 5, -3);
    bad += check("-17 % 5", -a % 5, -2);
    bad += check("u / 7", u / 7, 428571428);
    bad += check("u % 7", u % 7, 4);
    bad += check("u >> 3", u >> 3, 375000000);
    bad += check("-64 >> 3", -64 >> 3, -8);
    bad += check("1 << 30", 1 << 30, 1073741824);
    bad += check("s * 3", s * 3, -37035);
    bad += check("us * 2", us * 2, 120000);
    bad += check("c + uc", c + uc, 100);
    bad += check("(char)300", (signed char)300, 44);
    bad += check("(unsigned char)-1", (unsigned char)-1, 255);
    bad += check("(short)70000", (short)70000, 4464);
    bad += check("-1 < 1u", -1 < 1u, 0);
    bad += check("(int)(u + u)", (int)(u + u), 1705032704);
    bad += check("INT_MAX + 1u", INT_MAX + 1u, 2147483648LL);
    bad += check("~0u", ~0u, 4294967295LL);
    bad += check("!5 + !0", !5 + !0, 1);
    bad += check("7 & 3 | 8 ^ 2", (7 & 3) | (8 ^ 2), 11);
    bad += check("a > b ? a : b", a > b ? a : b, 17);
    bad += check("comma", (a++, a + 1), 19);
    {
        int x = 10;
        x += 5; x -= 3; x *= 4; x /= 3; x %= 7; x <<= 4; x >>= 2; x |= 1; x &= 13; x ^= 6;
        bad += check("compound", x, 15);
    }
    {
        int i, sum = 0;
        for (i = -50; i <= 50; i++) sum += i * i * (i % 3 == 0 ? -1 : 1) / (i % 7 == 0 ? 1 : 2);
        bad += check("loop sum", sum, sum);
        printf("loop sum is %d\n", sum);
    }
    {
        unsigned x = 0x12345678u;
        unsigned rot = (x << 8) | (x >> 24);
        bad += check("rotate", rot, 0x34567812);
        bad += check("x++ + ++x", x++ + 1, 0x12345679);
    }
    printf("failures: %d\n", bad);
    return bad;
}
