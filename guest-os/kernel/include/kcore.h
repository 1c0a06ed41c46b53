/* kcore.h: declarations private to the kernel core (core/, arch/); see docs/guest-os.md.
 * Drivers and the net stack use kernel.h only. */
#ifndef _VAMOS_KCORE_H
#define _VAMOS_KCORE_H

#include "kernel.h"

#define KERNEL_VERSION  "0.1"
#define KSTACK_SIZE     8192u
/* Kernel stacks are not heap blocks: slot i of the process table has its stack at
 * KSTACK_AREA + i * KSTACK_SLOT + PAGE_SIZE, physically contiguous pages below an unmapped
 * guard page, so an overflow stops the machine at the faulting push (a triple fault, reported
 * as a stack overflow) instead of silently corrupting the heap (docs/guest-os.md, "Memory"). */
#define KSTACK_AREA     0xC0000000u
#define KSTACK_SLOT     (KSTACK_SIZE + PAGE_SIZE)
/* A user program's stack: USER_STACK bytes ending at USER_TOP, with USER_STACK_GUARD bytes below
 * it that nothing maps, so an overflow is a page fault the kernel names as one. */
#define USER_STACK       (64u * 1024)
#define USER_STACK_GUARD (64u * 1024)
#define NPROC           32
#define NFD             16
#define PROC_NAME_MAX   32

#define PTE_P   0x001u
#define PTE_RW  0x002u
#define PTE_US  0x004u
#define PTE_PCD 0x010u      /* ignored by mx86; set on device windows to say "uncached" */
#define CR0_PG  0x80000000u
#define CR0_WP  0x00010000u

/* What arch/entry.s pushes on every trap: general registers (trap_common), the vector (the
 * stub), then the CPU's five dwords (docs/isa.md §8). The order is the stack order. */
struct trapframe {
    uint32_t edi, esi, ebp, ebx, edx, ecx, eax;
    uint32_t vector;
    uint32_t err, eip, ring, eflags, esp;
};

/* arch/entry.s */
extern uint32_t trap_vectors[48];            /* stub addresses of vectors 0..47 */
void trap_syscall_entry(void);               /* vector 0x80 */
void trapret(void);                          /* pops a trapframe and irets */
void swtch(uint32_t *save_esp, uint32_t new_esp);
void zero_page(uint32_t pa);                 /* 4096 zero bytes, word stores */

/* core/console.c */
void console_init(void);
void console_write(const char *buf, unsigned len);
void console_flush(void);                    /* what printf has buffered (a partial line) */
int console_read(char *buf, unsigned len);  /* blocks until at least one byte */
void cmdline_set(const char *s);
const char *cmdline_text(void);

/* core/trap.c */
void trap(struct trapframe *tf);
void idt_init(void);
void pic_unmask(unsigned line);
void pic_mask(unsigned line);
void fault_describe(struct trapframe *tf, char *buf, unsigned size);

/* core/mem.c */
extern uint32_t kernel_pgdir;
extern uint32_t ram_top;                     /* end of the RAM the kernel uses */
void mem_init(void);
void paging_init(void);
uint32_t pgdir_create(void);                 /* a user page directory sharing the kernel's */
void pgdir_free(uint32_t pgdir);             /* frees the user pages and tables too */
int map_user_page(uint32_t pgdir, uint32_t va, uint32_t pa, int writable);
uint32_t user_page_pa(uint32_t pgdir, uint32_t va); /* 0 when not mapped user */
void *kstack_alloc(unsigned slot);           /* slot's stack, mapped; NULL when out of memory */
void kstack_free(unsigned slot);

/* core/time.c */
extern volatile uint32_t ticks;
void timer_init(void);
void timer_tick(void);
void time_note_port(void);

/* core/proc.c */
enum proc_state { P_FREE, P_EMBRYO, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE };
struct file {
    const struct bootfs_entry *entry;  /* NULL: the slot is free (fds 0-2: console) */
    unsigned offset;
    int kind;                          /* FD_NONE, FD_CONSOLE_IN, FD_CONSOLE_OUT, FD_FILE */
};
#define FD_NONE         0
#define FD_CONSOLE_IN   1
#define FD_CONSOLE_OUT  2
#define FD_FILE         3

struct proc {
    int pid;
    char name[PROC_NAME_MAX];
    enum proc_state state;
    uint32_t pgdir;
    void *kstack;                      /* KSTACK_SIZE bytes at its KSTACK_AREA slot */
    uint32_t ctx;                      /* saved kernel esp while switched out (swtch) */
    struct trapframe *tf;              /* the user frame at the top of the kernel stack */
    int exit_status;
    struct proc *parent;
    struct waitq children;             /* the parent sleeps here in wait() */
    struct proc *wq_next;              /* link in the waitq the process sleeps on */
    struct waitq *sleeping_on;
    uint64_t wake_at;                  /* sleep_ms deadline (time_ns) */
    struct proc *timer_next;           /* link in the sleeping-timer list */
    unsigned slice;                    /* ticks run since it was scheduled */
    struct file files[NFD];
};

extern struct proc procs[NPROC];
void scheduler(void);                        /* never returns */
void yield(void);
void yield_sleeping(void);               /* switch away; current->state already set */
void proc_exit(int status);                  /* never returns */
int proc_spawn(const char *path, const char *args, struct proc *parent);
int proc_wait(int pid, int *status);
void proc_kill_fault(struct trapframe *tf);  /* a user fault: message, exit 128 + vector */
void timer_sleepers_wake(void);

/* core/loader.c: maps the program and its heap and stack, fills tf's eip, esp, eax, ecx */
int load_program(struct proc *p, const char *path, const char *args, struct trapframe *tf);

/* core/syscall.c */
void syscall(struct trapframe *tf);

/* core/modcall.c: the module system calls, in syscall.c's table */
int sys_module_open(uint32_t name, uint32_t b, uint32_t c, uint32_t d, uint32_t e);
int sys_module_call(uint32_t handle_op, uint32_t req, uint32_t req_len, uint32_t resp, uint32_t cap);

/* core/chancall.c */
int sys_chan_open(uint32_t name, uint32_t b, uint32_t c, uint32_t d, uint32_t e);
int sys_chan_submit(uint32_t chan_op, uint32_t req, uint32_t len, uint32_t resp, uint32_t cap);
int sys_chan_reap(uint32_t chan, uint32_t tag, uint32_t tag_out, uint32_t nonblock, uint32_t e);

#endif
