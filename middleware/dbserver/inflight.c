/* inflight.c: dbserver over the module channel with one operation in flight per waiting
 * connection (docs/vamos.md, "The module channel"). Each client gets a task: a stack of its
 * own on which its datagrams are handled by the same front end (server_handle) as elsewhere.
 * When the stub submits an operation the task gives way (vamos_wait_reply) and the scheduler
 * below receives the next datagram or reaps the next completion, whichever comes first (one
 * SYS_CHAN_REAP that also stops for the socket), so the channel holds several operations and
 * the vCPU serves other clients while the engine works on a host thread.
 *
 * A command that reaches the engine more than once (INCR, SET NX/XX/GET, MGET, DEL, ...) runs
 * in an exclusive section (server.h's server_exclusive): the other tasks wait at their next
 * engine call until it ends, so it is as atomic as when connections are served one at a time.
 * Only built with the channel transport (VAMOS_CHANNEL). */
#ifdef VAMOS_CHANNEL
#include <stdlib.h>
#include <string.h>
#include "vamos.h"
#include "engine.h"
#include "server.h"
#include "proto.h"
#include "dbserver.h"

#define MAX_TASKS    64
#define TASK_STACK   32768
#define OUT_CAP      16384
#define BACKLOG      4            /* datagrams queued for a task that is busy */

enum { T_IDLE, T_RUNNABLE, T_WAITING, T_LOCKED };

struct task {
    unsigned esp;
    int state;
    int tag, result;
    struct udp_addr addr;
    unsigned last_used;
    struct server_conn *conn;
    unsigned char *stack;
    unsigned head, count;         /* the backlog ring */
    unsigned len[BACKLOG];
    unsigned char in[BACKLOG][DGRAM_MAX];
    unsigned char out[OUT_CAP];
};

void task_switch(unsigned *save_esp, unsigned new_esp);

static struct task *tasks[MAX_TASKS];
static unsigned ntasks, clock_ticks;
static struct task *cur, *lock_owner;
static unsigned sched_esp;
static int the_sock, fatal;
static unsigned char rx[DGRAM_MAX];

static void to_scheduler(void) {
    task_switch(&cur->esp, sched_esp);
}

static void run(struct task *t) {
    cur = t;
    task_switch(&sched_esp, t->esp);
    cur = 0;
}

/* vamos_wait_turn: while another task is in an exclusive section, wait. */
static void wait_turn(void) {
    struct task *me = cur;
    if (me == 0) return;
    while (lock_owner != 0 && lock_owner != me) {
        me->state = T_LOCKED;
        to_scheduler();
    }
}

/* vamos_wait_reply: give way until the scheduler reaps `tag`. */
static int wait_reply(int tag) {
    struct task *me = cur;
    if (me == 0) return vamos_transport_reap(tag, 0);  /* main's own calls (open, close) */
    me->tag = tag;
    me->state = T_WAITING;
    to_scheduler();
    return me->result;
}

static void exclusive(int begin) {
    unsigned i;
    if (begin) {
        wait_turn();
        lock_owner = cur;
        return;
    }
    lock_owner = 0;
    for (i = 0; i < ntasks; i++)
        if (tasks[i]->state == T_LOCKED) tasks[i]->state = T_RUNNABLE;
}

/* Every task runs this forever: handle the backlog, then give way idle. */
static void task_main(void) {
    for (;;) {
        struct task *t = cur;
        while (t->count > 0 && !fatal) {
            unsigned slot = t->head;
            int m = server_handle(t->conn, t->in[slot], t->len[slot], t->out, sizeof t->out);
            while (m > 0) {
                send_all(the_sock, &t->addr, t->out, (unsigned)m);
                m = server_handle(t->conn, 0, 0, t->out, sizeof t->out);
            }
            if (m == SERVER_EFATAL) fatal = 1;
            t->head = (t->head + 1) % BACKLOG;
            t->count--;
        }
        t->state = T_IDLE;
        to_scheduler();
    }
}

static struct task *task_new(engine *db) {
    struct task *t = (struct task *)malloc(sizeof(struct task));
    unsigned *sp;
    if (t == 0) return 0;
    memset(t, 0, sizeof *t);
    t->stack = (unsigned char *)malloc(TASK_STACK);
    t->conn = server_conn_new(db);
    if (t->stack == 0 || t->conn == 0) return 0;
    /* What task_switch pops: edi esi ebx ebp, then the return into task_main. */
    sp = (unsigned *)(t->stack + TASK_STACK - 16);
    *--sp = 0;                      /* task_main's return address: it never returns */
    *--sp = (unsigned)task_main;
    *--sp = 0; *--sp = 0; *--sp = 0; *--sp = 0;
    t->esp = (unsigned)sp;
    return t;
}

/* The task of a client address, made on first contact; when the table is full the least
 * recently used idle one is taken over (its partial request, if any, is lost). */
static struct task *task_for(engine *db, const struct udp_addr *a) {
    unsigned i;
    struct task *victim = 0;
    for (i = 0; i < ntasks; i++) {
        struct task *t = tasks[i];
        if (t->addr.ip == a->ip && t->addr.port == a->port) {
            t->last_used = ++clock_ticks;
            return t;
        }
        if (t->state == T_IDLE && (victim == 0 || t->last_used < victim->last_used)) victim = t;
    }
    if (ntasks < MAX_TASKS) {
        victim = task_new(db);
        if (victim == 0) return 0;
        tasks[ntasks++] = victim;
    } else if (victim == 0) {
        return 0;
    } else {
        server_conn_free(victim->conn);
        victim->conn = server_conn_new(db);
        if (victim->conn == 0) return 0;
    }
    victim->addr = *a;
    victim->last_used = ++clock_ticks;
    return victim;
}

static int busy(void) {
    unsigned i;
    for (i = 0; i < ntasks; i++)
        if (tasks[i]->state != T_IDLE) return 1;
    return 0;
}

/* Runs every task that may go on (after the exclusive section ended), until none may. */
static void run_runnable(void) {
    unsigned i;
    int again = 1;
    while (again) {
        again = 0;
        for (i = 0; i < ntasks; i++) {
            if (tasks[i]->state != T_RUNNABLE) continue;
            run(tasks[i]);
            again = 1;
        }
    }
}

/* Reaps one completion if one is done (or, with block, waits for one or for a datagram). */
static int reap_one(int chan, int block) {
    int tag = -1, st;
    unsigned i;
    st = chan_reap(chan, -1, &tag, block ? CHAN_WAIT_SOCK(the_sock) : CHAN_WAIT_POLL);
    if (tag < 0) return 0;
    for (i = 0; i < ntasks; i++) {
        struct task *t = tasks[i];
        if (t->state == T_WAITING && t->tag == tag) {
            t->result = st;
            t->state = T_RUNNABLE;
            run(t);
            run_runnable();
            return 1;
        }
    }
    return 1;
}

int serve_inflight(engine *db, int sock) {
    int chan = vamos_transport_open(), shutdown = 0;
    the_sock = sock;
    vamos_wait_turn = wait_turn;
    vamos_wait_reply = wait_reply;
    server_exclusive = exclusive;
    for (;;) {
        struct udp_addr from;
        struct task *t;
        int n;
        if (fatal) return DB_FATAL;
        if (busy()) {
            /* One wait for both: a completion, or a datagram (then -E_AGAIN, no tag). */
            if (reap_one(chan, 1)) continue;
        } else if (shutdown) {
            return DB_SHUTDOWN;
        }
        n = udp_recv(sock, &from, rx, sizeof rx);
        if (n <= 0) continue;
        if (is_shutdown(rx, (unsigned)n)) {
            shutdown = 1;
            continue;
        }
        t = task_for(db, &from);
        if (t == 0) continue;
        /* A client whose task is busy and whose backlog is full waits for it. */
        while (t->count == BACKLOG && !fatal) reap_one(chan, 1);
        memcpy(t->in[(t->head + t->count) % BACKLOG], rx, (unsigned)n);
        t->len[(t->head + t->count) % BACKLOG] = (unsigned)n;
        t->count++;
        if (t->state == T_IDLE) {
            t->state = T_RUNNABLE;
            run(t);
            run_runnable();
        }
    }
}
#endif
