/* console.c: the firmware's only output, one line on COM1 when the boot fails, then a power-off
 * with status 255 (docs/firmware.md). Polls the LSR before each byte, as a real UART driver must. */
#include "fw.h"

#define COM1_LSR        (COM1_PORT + 5)
#define LSR_THRE        0x20

static void putc_serial(unsigned int c) {
    while ((fw_inb(COM1_LSR) & LSR_THRE) == 0) {
    }
    fw_outb(COM1_PORT, c);
}

void fw_puts(const char *s) {
    while (*s) {
        putc_serial((unsigned char)*s);
        s++;
    }
}

void fw_putu(unsigned int n) {
    char digits[12];
    int i = 0;
    do {
        digits[i++] = (char)('0' + n % 10);
        n /= 10;
    } while (n != 0);
    while (i > 0) putc_serial((unsigned char)digits[--i]);
}

void fw_power_off(void) {
    fw_outd(POWER_PORT, FW_EXIT_FAIL);
    fw_halt();
}

void fw_fail(const char *what, const char *detail) {
    fw_puts("bootrom: ");
    fw_puts(what);
    fw_puts(detail);
    fw_puts("\n");
    fw_power_off();
}

void fw_fail_n(const char *before, unsigned int n, const char *after) {
    fw_puts("bootrom: ");
    fw_puts(before);
    fw_putu(n);
    fw_puts(after);
    fw_puts("\n");
    fw_power_off();
}
