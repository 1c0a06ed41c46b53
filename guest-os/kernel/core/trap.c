/* core/trap.c: the IDT, the PIC, interrupt dispatch and faults (docs/guest-os.md, "Traps").
 *
 * Every vector enters through arch/entry.s, which builds a struct trapframe and calls trap().
 * All gates are interrupt gates, so the kernel always runs with IF=0 except where it idles
 * (sti; hlt): handlers never nest, and kernel code needs no locks beyond irq_save. */
#include <stdio.h>
#include <mx86.h>
#include "kcore.h"

#define GATE_P     1u
#define GATE_DPL3  6u
#define PIC1_DATA  (PIC_PORT + 1)
#define PIC2_DATA  0xA1
#define EFLAGS_IF  0x200u
#define QUANTUM    1                    /* timer ticks a process runs before it is preempted */

unsigned int __mx86_read_eflags(void);

static uint32_t idt[256 * 2] __attribute__((aligned(8)));
static uint32_t idtr[2];
static struct { irq_handler_t fn; void *arg; } irq_handlers[16];
int in_irq;
static unsigned pic_masks = 0xFFFF;    /* the PIC starts with every line masked */

static void set_gate(unsigned vector, uint32_t handler, uint32_t flags) {
    idt[vector * 2] = handler;
    idt[vector * 2 + 1] = flags;
}

void idt_init(void) {
    unsigned v;
    for (v = 0; v < 48; v++) set_gate(v, trap_vectors[v], GATE_P);
    set_gate(SYSCALL_VECTOR, (uint32_t)trap_syscall_entry, GATE_P | GATE_DPL3);
    idtr[0] = (uint32_t)idt;
    idtr[1] = sizeof idt - 1;
    __mx86_lidt(idtr);
}

static void pic_write_masks(void) {
    __mx86_outb(PIC1_DATA, pic_masks & 0xFF);
    __mx86_outb(PIC2_DATA, (pic_masks >> 8) & 0xFF);
}

void pic_unmask(unsigned line) {
    pic_masks &= ~(1u << line);
    pic_write_masks();
}

void pic_mask(unsigned line) {
    pic_masks |= 1u << line;
    pic_write_masks();
}

void irq_register(unsigned line, irq_handler_t handler, void *arg) {
    unsigned s;
    if (line >= 16) panic("irq_register: no PIC line %u", line);
    s = irq_save();
    irq_handlers[line].fn = handler;
    irq_handlers[line].arg = arg;
    pic_unmask(line);
    irq_restore(s);
}

unsigned irq_save(void) {
    unsigned f = __mx86_read_eflags();
    __mx86_cli();
    return f & EFLAGS_IF;
}

void irq_restore(unsigned state) {
    if (state) __mx86_sti();
}

static const char *exception_name(unsigned v) {
    switch (v) {
    case 0: return "divide error";
    case 6: return "invalid opcode";
    case 8: return "double fault";
    case 13: return "general protection fault";
    case 14: return "page fault";
    default: return "exception";
    }
}

void trap(struct trapframe *tf) {
    unsigned v = tf->vector;
    if (v == SYSCALL_VECTOR) {
        syscall(tf);
        return;
    }
    if (v >= PIC_VECTOR_BASE && v < PIC_VECTOR_BASE + 16) {
        unsigned line = v - PIC_VECTOR_BASE;
        in_irq = 1;
        if (line == TIMER_IRQ) timer_tick();
        else if (irq_handlers[line].fn != NULL) irq_handlers[line].fn(irq_handlers[line].arg);
        in_irq = 0;
        __mx86_outb(PIC_PORT, PIC_EOI);
        /* Preempt only user code: the kernel itself gives up the CPU where it blocks. */
        if (line == TIMER_IRQ && current != NULL && tf->ring == 3 && ++current->slice >= QUANTUM) yield();
        return;
    }
    if (v < 32 && tf->ring == 3 && current != NULL) {
        proc_kill_fault(tf);                 /* does not return */
    }
    panic("%s (vector %u, error 0x%x) at eip 0x%x, cr2 0x%x, in ring %u", exception_name(v), v, tf->err,
          tf->eip, __mx86_read_cr2(), tf->ring);
}

/* The one line common.md fixes for a user program killed by a fault. */
void fault_describe(struct trapframe *tf, char *buf, unsigned size) {
    uint32_t cr2 = __mx86_read_cr2();
    if (tf->vector == 14 && tf->ring == 3 && cr2 < USER_TOP - USER_STACK && cr2 >= USER_TOP - USER_STACK - USER_STACK_GUARD)
        snprintf(buf, size, "stack overflow (page fault at 0x%x)", cr2);
    else if (tf->vector == 14) snprintf(buf, size, "page fault at 0x%x", cr2);
    else if (tf->vector == 0 || tf->vector == 6 || tf->vector == 8 || tf->vector == 13)
        snprintf(buf, size, "%s", exception_name(tf->vector));
    else snprintf(buf, size, "exception %u", tf->vector);
}
