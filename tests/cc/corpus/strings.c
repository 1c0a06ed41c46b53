/* string.h and ctype.h at work: copying, searching, comparing, tokenizing, case mapping. */
#include <stdio.h>
#include <string.h>
#include <ctype.h>

static int sign(int v) { return v < 0 ? -1 : v > 0; }

int main(void) {
    char buf[64];
    char words[] = "the quick  brown fox";
    char *tok;
    const char *s = "hello, world";
    int i, upper = 0, digits = 0;
    strcpy(buf, "abc");
    strcat(buf, "def");
    strncat(buf, "ghijkl", 3);
    printf("%s %d\n", buf, (int)strlen(buf));
    printf("cmp %d %d %d %d\n", sign(strcmp("abc", "abd")), sign(strcmp("b", "a")), strcmp("same", "same"), sign(strncmp("abcx", "abcy", 3)));
    printf("strchr %s | strrchr %s\n", strchr(s, 'o'), strrchr(s, 'o'));
    printf("strstr %s | %s\n", strstr(s, "wor"), strstr(s, "xyz") ? "found" : "null");
    printf("spn %d cspn %d\n", (int)strspn("aabbcx", "ab"), (int)strcspn(s, ", "));
    memset(buf, 'z', 5);
    buf[5] = 0;
    printf("memset %s\n", buf);
    memcpy(buf, "0123456789", 11);
    memmove(buf + 2, buf, 8);
    printf("memmove %s\n", buf);
    memmove(buf, buf + 3, 6);
    printf("memmove back %s\n", buf);
    printf("memcmp %d %d\n", sign(memcmp("abc", "abd", 3)), memcmp("abc", "abd", 2));
    printf("memchr %s\n", (char *)memchr(s, 'w', 12));
    strncpy(buf, "xy", 5);
    printf("strncpy %s %d %d\n", buf, buf[3], buf[4]);
    for (tok = strtok(words, " "); tok; tok = strtok(NULL, " ")) printf("[%s]", tok);
    printf("\n");
    for (i = 0; s[i]; i++) buf[i] = (char)toupper((unsigned char)s[i]);
    buf[i] = 0;
    printf("%s\n", buf);
    for (i = 0; i < 128; i++) {
        upper += isupper(i) != 0;
        digits += isdigit(i) != 0;
    }
    printf("upper %d digits %d space %d alnum %d punct %d xdigit %d\n", upper, digits,
           isspace('\t') != 0, isalnum('_') != 0, ispunct('!') != 0, isxdigit('F') != 0);
    {
        char rev[32];
        int n = (int)strlen(s);
        for (i = 0; i < n; i++) rev[i] = s[n - 1 - i];
        rev[n] = 0;
        printf("reversed %s\n", rev);
    }
    {
        static const char *table[] = { "pear", "apple", "fig" };
        const char *best = table[0];
        for (i = 1; i < 3; i++) if (strcmp(table[i], best) < 0) best = table[i];
        printf("first %s\n", best);
    }
    return 0;
}
