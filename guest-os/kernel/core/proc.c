/* core/proc.c: processes, the round-robin scheduler, blocking, exit and wait
 * (docs/guest-os.md, "Processes").
 *
 * Each process has a kernel stack whose top holds its user trapframe. The scheduler runs on
 * the boot stack: a process gives up the CPU with swtch() into it (yield, sleep_on, exit) and
 * the scheduler picks the next runnable one in table order after the last. The kernel is not
 * preemptible: the timer preempts only code running in ring 3 (core/trap.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mx86.h>
#include "kcore.h"

struct proc procs[NPROC];
struct proc *current;
static struct proc *init_proc;
static uint32_t sched_ctx;             /* the scheduler's saved esp */
static int next_pid = 1;
static unsigned last_run;              /* index of the process that ran last */

static void sched(void) {
    swtch(&current->ctx, sched_ctx);
}

void yield(void) {
    unsigned s = irq_save();
    current->state = P_RUNNABLE;
    sched();
    irq_restore(s);
}

void yield_sleeping(void) { sched(); }

/* ---- blocking ----------------------------------------------------------------------------- */
void sleep_on(struct waitq *wq) {
    if (current == NULL) {
        /* Initialisation: no process to switch to; wait for the next interrupt instead. */
        __mx86_sti();
        __mx86_hlt();
        __mx86_cli();
        return;
    }
    current->state = P_SLEEPING;
    current->sleeping_on = wq;
    current->wq_next = wq->head;
    wq->head = current;
    sched();
}

void wake_all(struct waitq *wq) {
    struct proc *p = wq->head;
    wq->head = NULL;
    while (p != NULL) {
        struct proc *next = p->wq_next;
        p->wq_next = NULL;
        p->sleeping_on = NULL;
        if (p->state == P_SLEEPING) p->state = P_RUNNABLE;
        p = next;
    }
}

/* ---- the table ------------------------------------------------------------------------------ */
static struct proc *proc_alloc(void) {
    unsigned i;
    for (i = 0; i < NPROC; i++) {
        struct proc *p = &procs[i];
        if (p->state != P_FREE) continue;
        memset(p, 0, sizeof *p);
        p->kstack = kstack_alloc(i);
        if (p->kstack == NULL) return NULL;
        p->pid = next_pid++;
        p->state = P_EMBRYO;
        return p;
    }
    return NULL;
}

static void proc_free(struct proc *p) {
    if (p->pgdir != 0) {
        if (__mx86_read_cr3() == p->pgdir) __mx86_write_cr3(kernel_pgdir);
        pgdir_free(p->pgdir);
    }
    kstack_free((unsigned)(p - procs));
    memset(p, 0, sizeof *p);
    p->state = P_FREE;
}

/* ---- the scheduler ------------------------------------------------------------------------- */
static struct proc *pick_next(void) {
    unsigned k;
    for (k = 1; k <= NPROC; k++) {
        unsigned i = (last_run + k) % NPROC;
        if (procs[i].state == P_RUNNABLE) {
            last_run = i;
            return &procs[i];
        }
    }
    return NULL;
}

/* Zombies nobody will wait for (their parent exited first) are freed here, off their stack. */
static void reap_orphans(void) {
    unsigned i;
    for (i = 0; i < NPROC; i++) {
        if (procs[i].state == P_ZOMBIE && procs[i].parent == NULL) proc_free(&procs[i]);
    }
}

static int orphans;

void scheduler(void) {
    __mx86_cli();
    for (;;) {
        struct proc *p;
        if (orphans) {
            orphans = 0;
            reap_orphans();
        }
        p = pick_next();
        if (p == NULL) {
            /* Nothing to run: sti's shadow makes "sti; hlt" atomic, so no wake-up is lost. */
            __mx86_sti();
            __mx86_hlt();
            __mx86_cli();
            continue;
        }
        p->state = P_RUNNING;
        p->slice = 0;
        current = p;
        __mx86_lksp((uint32_t)p->kstack + KSTACK_SIZE);
        if (__mx86_read_cr3() != p->pgdir) __mx86_write_cr3(p->pgdir);
        swtch(&sched_ctx, p->ctx);
        current = NULL;
    }
}

/* ---- exit and wait -------------------------------------------------------------------------- */
void proc_exit(int status) {
    struct proc *p = current;
    unsigned i;
    __mx86_cli();
    udp_close_owned_by(p);
    if (p == init_proc) {
        char buf[4];
        if (cmdline_get("memstat", buf, sizeof buf) != NULL) printf("kernel: %u pages free\n", pages_free_count());
        printf("kernel: init exited with status %d\n", status);
        power_off(status);
    }
    for (i = 0; i < NPROC; i++) {
        if (procs[i].state != P_FREE && procs[i].parent == p) {
            procs[i].parent = NULL;
            if (procs[i].state == P_ZOMBIE) orphans = 1;
        }
    }
    p->exit_status = status;
    p->state = P_ZOMBIE;
    if (p->parent != NULL) wake_all(&p->parent->children);
    else orphans = 1;
    sched();
    panic("a zombie ran");
}

/* pid > 0: that child; otherwise any child. */
int proc_wait(int pid, int *status) {
    for (;;) {
        unsigned i;
        int found = 0;
        for (i = 0; i < NPROC; i++) {
            struct proc *p = &procs[i];
            if (p->state == P_FREE || p->parent != current) continue;
            if (pid > 0 && p->pid != pid) continue;
            found = 1;
            if (p->state == P_ZOMBIE) {
                int got = p->pid;
                *status = p->exit_status;
                proc_free(p);
                return got;
            }
        }
        if (!found) return -E_CHILD;
        sleep_on(&current->children);
    }
}

void proc_kill_fault(struct trapframe *tf) {
    char what[48];
    fault_describe(tf, what, sizeof what);
    printf("kernel: killed %s (pid %d): %s at eip 0x%x\n", current->name, current->pid, what, tf->eip);
    proc_exit(128 + (int)tf->vector);
}

/* ---- spawn --------------------------------------------------------------------------------- */
int proc_spawn(const char *path, const char *args, struct proc *parent) {
    struct proc *p;
    struct trapframe *tf;
    uint32_t *sp;
    int err;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    p = proc_alloc();
    if (p == NULL) return -E_NOMEM;
    strncpy(p->name, base, PROC_NAME_MAX - 1);
    tf = (struct trapframe *)((uint8_t *)p->kstack + KSTACK_SIZE - sizeof *tf);
    memset(tf, 0, sizeof *tf);
    err = load_program(p, path, args, tf);
    if (err < 0) {
        proc_free(p);
        return err;
    }
    tf->ring = 3;
    tf->eflags = 0x202;                 /* IF=1 and the always-one bit */
    p->tf = tf;
    /* What swtch pops for a new process: four callee-saved registers, then trapret. */
    sp = (uint32_t *)tf;
    *--sp = (uint32_t)trapret;
    *--sp = 0;
    *--sp = 0;
    *--sp = 0;
    *--sp = 0;
    p->ctx = (uint32_t)sp;
    p->files[0].kind = FD_CONSOLE_IN;
    p->files[1].kind = FD_CONSOLE_OUT;
    p->files[2].kind = FD_CONSOLE_OUT;
    p->parent = parent;
    if (parent == NULL && init_proc == NULL) init_proc = p;
    p->state = P_RUNNABLE;
    return p->pid;
}
