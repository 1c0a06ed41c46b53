/* coretest: probes of the kernel core for tests/os/core*.test.ts. argv[1] picks the probe:
 *   spin TAG ROUNDS   from 20 ms after boot, prints "TAG i" after each round of busy work
 *   nap MS            sleeps MS ms and prints how long it took in virtual time
 *   exit N            exits with status N
 *   children          spawns coretest children with exit codes 3, 4 and a crash, waits for each
 *   badptr            system calls with pointers the kernel must refuse
 *   hyper             the hypercall pass-through: version allowed, others refused
 *   spawnbad          spawns boot-fs files that are not valid programs
 *   readin N          reads console input until N bytes arrived and echoes them
 *   spawnall N        spawns the boot-fs files m0..m<N-1> (damaged images), does not wait */
#include <vamos.h>
#include <stdio.h>
#include <string.h>

static volatile unsigned sink;

static void busy(unsigned n) {
    unsigned i;
    for (i = 0; i < n; i++) sink += i * 7;
}

static int spin(const char *tag, int rounds) {
    int i;
    /* Start together: spawning the second takes a disk read, long enough for the first to
     * finish. Both wait for the same instant of virtual time instead. */
    while (time_ns() < 20000000ull) sleep_ms(1);
    for (i = 0; i < rounds; i++) {
        busy(60000);
        printf("%s %d\n", tag, i);
    }
    return 0;
}

static int nap(unsigned ms) {
    unsigned long long t0 = time_ns(), t1;
    sleep_ms(ms);
    t1 = time_ns();
    printf("nap %u: slept %s\n", ms, t1 - t0 >= (unsigned long long)ms * 1000000u ? "long enough" : "too little");
    return 0;
}

static int children(void) {
    static const char *args[] = { "exit 3", "exit 4", "crashme" };
    int i;
    for (i = 0; i < 3; i++) {
        int st = -1, pid = spawn("coretest", args[i]);
        int got = wait(pid, &st);
        printf("child '%s': pid %s, status %d\n", args[i], got == pid ? "matches" : "differs", st);
    }
    printf("wait with no such child: %d\n", wait(9999, NULL));
    return 0;
}

static int badptr(void) {
    unsigned long long t;
    printf("write kernel: %d\n", write(1, (const void *)0x100000, 4));
    printf("write null: %d\n", write(1, NULL, 4));
    printf("write wrap: %d\n", write(1, (const void *)0xBFFFFFF0u, 0x100));
    printf("read into text: %d\n", read(0, (void *)0x40000000u, 4));
    printf("time kernel: %d\n", __vamos_syscall(SYS_TIME, 0x7000, 0, 0, 0, 0));
    printf("time ok: %d\n", __vamos_syscall(SYS_TIME, (unsigned)&t, 0, 0, 0, 0));
    printf("open kernel path: %d\n", open((const char *)0x7100));
    printf("open missing: %d\n", open("nope"));
    printf("spawn missing: %d\n", spawn("nope", ""));
    printf("bad fd: %d\n", write(7, "x", 1));
    printf("bad syscall: %d\n", __vamos_syscall(99, 0, 0, 0, 0, 0));
    return 0;
}

static int hyper(void) {
    printf("hypercall 0: %s\n", hypercall(0, 0, 0, 0) >= 0 ? "allowed" : "refused");
    printf("hypercall 1: %d\n", hypercall(1, 0, 0, 0));
    return 0;
}

static int spawnbad(void) {
    printf("spawn junk: %d\n", spawn("junk", ""));
    printf("spawn data: %d\n", spawn("data", ""));
    printf("spawn truncated: %d\n", spawn("truncated", ""));
    return 0;
}

static int readin(int want) {
    char buf[64];
    int got = 0;
    while (got < want && got < (int)sizeof buf - 1) {
        int n = read(0, buf + got, (unsigned)(sizeof buf - 1 - got));
        if (n <= 0) break;
        got += n;
    }
    buf[got] = 0;
    printf("readin: [%s]\n", buf);
    return 0;
}

static int spawnall(int n) {
    int i;
    for (i = 0; i < n; i++) {
        char name[16];
        int pid;
        sprintf(name, "m%d", i);
        pid = spawn(name, "");
        printf("%s: %s\n", name, pid > 0 ? "ran" : vamos_strerror(pid));
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *what = argc >= 2 ? argv[1] : "";
    if (strcmp(what, "spin") == 0 && argc >= 4) return spin(argv[2], atoi(argv[3]));
    if (strcmp(what, "nap") == 0 && argc >= 3) return nap((unsigned)atoi(argv[2]));
    if (strcmp(what, "exit") == 0 && argc >= 3) return atoi(argv[2]);
    if (strcmp(what, "children") == 0) return children();
    if (strcmp(what, "badptr") == 0) return badptr();
    if (strcmp(what, "hyper") == 0) return hyper();
    if (strcmp(what, "spawnbad") == 0) return spawnbad();
    if (strcmp(what, "readin") == 0 && argc >= 3) return readin(atoi(argv[2]));
    if (strcmp(what, "spawnall") == 0 && argc >= 3) return spawnall(atoi(argv[2]));
    if (strcmp(what, "crashme") == 0) return *(volatile int *)0;
    printf("coretest: unknown probe '%s'\n", what);
    return 2;
}
