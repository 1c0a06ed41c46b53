/* Character output for stdio.h. stdout and stderr are distinct objects that both reach the
 * output hook, so code may compare them but not tell them apart on the console. */
#include <stdio.h>

struct __libc_file {
    int fd;
};

static struct __libc_file files[2] = {{1}, {2}};
FILE *stdout = &files[0];
FILE *stderr = &files[1];

int putchar(int c) {
    __libc_putchar_hook((unsigned char)c);
    return (unsigned char)c;
}

int fputc(int c, FILE *f) {
    (void)f;
    return putchar(c);
}

int putc(int c, FILE *f) {
    return fputc(c, f);
}

int fputs(const char *s, FILE *f) {
    (void)f;
    while (*s) putchar(*s++);
    return 0;
}

int puts(const char *s) {
    fputs(s, stdout);
    putchar('\n');
    return 0;
}

int fflush(FILE *f) {
    (void)f;
    return 0;
}
