/* core/console.c: the serial console (COM1), the libc's hooks, panic and power-off, the
 * command line. Output is polled (LSR.THRE, always set on this UART, so each byte costs one
 * status read and one write); input arrives on IRQ 4 into a ring buffer (docs/guest-os.md). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <mx86.h>
#include "kcore.h"

#define COM_DATA (COM1_PORT + 0)
#define COM_IER  (COM1_PORT + 1)
#define COM_IIR  (COM1_PORT + 2)    /* IIR on read, FCR on write */
#define COM_LCR  (COM1_PORT + 3)
#define COM_LSR  (COM1_PORT + 5)
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define IIR_NONE 0x01
#define RX_SIZE  256

static char rx_buf[RX_SIZE];
static unsigned rx_head, rx_tail;        /* bytes rx_tail..rx_head-1 are queued */
static struct waitq rx_wq;


/* With the FIFOs on (console_init), one THRE poll lets a 16550 driver send 16 bytes, as
 * Linux's 8250 driver does: half the exits of a poll per byte. */
static unsigned tx_burst = 1;

void console_write(const char *buf, unsigned len) {
    unsigned i = 0;
    while (i < len) {
        unsigned n = len - i < tx_burst ? len - i : tx_burst;
        while ((__mx86_inb(COM_LSR) & LSR_THRE) == 0) {}
        while (n-- > 0) __mx86_outb(COM_DATA, (unsigned)buf[i++] & 0xFF);
    }
}

/* The kernel's printf: a line at a time, so it gets the FIFO bursts of console_write. The
 * kernel runs with interrupts off, so no other output can land inside a buffered line. */
static char line[64];
static unsigned line_len;

void console_flush(void) {
    unsigned n = line_len;
    line_len = 0;
    console_write(line, n);
}

void __libc_putchar_hook(int c) {
    line[line_len++] = (char)c;
    if (c == '\n' || line_len == sizeof line) console_flush();
}

/* IRQ 4: drain the receive queue (the PIC is edge-triggered: read until the UART says no
 * interrupt is pending, or its line never rises again). A full buffer drops the byte. */
static void serial_irq(void *arg) {
    (void)arg;
    while ((__mx86_inb(COM_IIR) & IIR_NONE) == 0) {
        while (__mx86_inb(COM_LSR) & LSR_DR) {
            unsigned c = __mx86_inb(COM_DATA);
            if (rx_head - rx_tail < RX_SIZE) rx_buf[rx_head++ % RX_SIZE] = (char)c;
        }
    }
    wake_all(&rx_wq);
}

void console_init(void) {
    __mx86_outb(COM_LCR, 3);             /* 8N1, DLAB off */
    __mx86_outb(COM_IIR, 1);             /* FCR: FIFOs on (16 bytes per THRE) */
    tx_burst = 16;
    __mx86_outb(COM_IER, 1);             /* received-data interrupt */
    irq_register(COM1_IRQ, serial_irq, NULL);
    serial_irq(NULL);                    /* input queued before boot raised no edge */
}

int console_read(char *buf, unsigned len) {
    unsigned n = 0;
    unsigned s = irq_save();
    while (rx_head == rx_tail) sleep_on(&rx_wq);
    while (n < len && rx_tail != rx_head) buf[n++] = rx_buf[rx_tail++ % RX_SIZE];
    irq_restore(s);
    return (int)n;
}

void power_off(int status) {
    console_flush();
    for (;;) {
        __mx86_outl(POWER_PORT, (unsigned)status);
        __mx86_cli();
        __mx86_hlt();
    }
}

void __libc_exit_hook(int status) { power_off(status); }

void panic(const char *fmt, ...) {
    va_list ap;
    __mx86_cli();
    va_start(ap, fmt);
    printf("kernel panic: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    power_off(3);
}

/* ---- the command line ------------------------------------------------------------------ */
static char cmdline[BOOT_CMDLINE_MAX];

void cmdline_set(const char *s) {
    strncpy(cmdline, s, sizeof cmdline - 1);
    cmdline[sizeof cmdline - 1] = 0;
}

const char *cmdline_text(void) { return cmdline; }

const char *cmdline_get(const char *key, char *buf, unsigned size) {
    unsigned klen = strlen(key);
    const char *p = cmdline;
    while (*p) {
        const char *w;
        unsigned wlen;
        while (*p == ' ') p++;
        w = p;
        while (*p && *p != ' ') p++;
        wlen = (unsigned)(p - w);
        if (wlen >= klen && strncmp(w, key, klen) == 0 && (wlen == klen || w[klen] == '=')) {
            unsigned n = wlen == klen ? 0 : wlen - klen - 1;
            if (size == 0) return buf;
            if (n >= size) n = size - 1;
            memcpy(buf, w + klen + (wlen == klen ? 0 : 1), n);
            buf[n] = 0;
            return buf;
        }
    }
    return NULL;
}
