/* core/time.c: the periodic tick, virtual time and sleeping (docs/guest-os.md, "Time").
 *
 * The timer (docs/devices.md) interrupts every TICK_US of virtual time; that tick drives
 * preemption and wakes sleepers. time_ns() reads the timer's microsecond port (virtual time
 * since power-on, 32 bits) and extends it to 64 bits: mx86's cpuid does not expose the clock
 * rate, so rdtsc cannot be turned into nanoseconds. */
#include <stdlib.h>
#include <mx86.h>
#include "kcore.h"

#define TICK_US       10000u          /* default; the command line's tick=<us> changes it */
#define TIME_PORT     (TIMER_PORT + 4)

volatile uint32_t ticks;
static uint32_t last_us, wraps, start_us;
static struct proc *sleepers;         /* sleep_ms callers, unordered */

static uint64_t now_us(void) {
    uint32_t us = __mx86_inl(TIME_PORT);
    if (us < last_us) wraps++;
    last_us = us;
    return ((uint64_t)wraps << 32) | us;
}

void timer_init(void) {
    char buf[16];
    unsigned tick = TICK_US;
    if (cmdline_get("tick", buf, sizeof buf) != NULL) {
        tick = (unsigned)atoi(buf);
        if (tick < 100 || tick > 1000000) tick = TICK_US;
    }
    start_us = __mx86_inl(TIME_PORT);
    last_us = start_us;
    __mx86_outl(TIMER_PORT, tick);
    pic_unmask(TIMER_IRQ);
}

uint64_t time_ns(void) {
    unsigned s = irq_save();
    uint64_t us = now_us() - start_us;
    irq_restore(s);
    return us * 1000;
}

/* Interrupt context. The wrap of the microsecond port is noticed as long as time is read at
 * least once every 71 minutes: every 1024th tick reads it even with nobody sleeping. */
void timer_tick(void) {
    ticks++;
    if (sleepers != NULL) {
        uint64_t now = time_ns();
        struct proc **pp = &sleepers;
        while (*pp != NULL) {
            struct proc *p = *pp;
            if (p->wake_at <= now) {
                *pp = p->timer_next;
                p->timer_next = NULL;
                p->state = P_RUNNABLE;
            } else {
                pp = &p->timer_next;
            }
        }
    } else if ((ticks & 1023) == 0) {
        time_ns();
    }
}

void sleep_ms(unsigned ms) {
    unsigned s = irq_save();
    uint64_t deadline = time_ns() + (uint64_t)ms * 1000000;
    if (current == NULL) {
        /* Initialisation: nothing else to run, so idle until the deadline. */
        while (time_ns() < deadline) {
            __mx86_sti();
            __mx86_hlt();
            __mx86_cli();
        }
    } else {
        while (time_ns() < deadline) {
            current->wake_at = deadline;
            current->timer_next = sleepers;
            sleepers = current;
            current->state = P_SLEEPING;
            yield_sleeping();
        }
    }
    irq_restore(s);
}
