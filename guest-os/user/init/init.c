/* init: the first user process (docs/guest-user.md). Its argv holds every word of the kernel
 * command line; it acts on two keys and ignores the rest (the kernel's own iommu=, ...):
 *   run=a,b,c    runs a, then b, then c, each after the previous one exited
 *   spawn=x,y    starts x and y at once, then waits for both
 * A program is written `name` or `name:arg1:arg2` (its arguments separated by colons).
 * For each program it prints `init: <name> exited with status <n>`, and it exits 0 when every
 * program exited 0 (and could be started), else 1. */
#include <vamos.h>
#include <stdio.h>
#include <string.h>

#define MAX_PROGS 16
#define ITEM_MAX  128

struct prog {
    char name[ITEM_MAX];
    char args[ITEM_MAX];
    int pid;
};

static int failures;

/* Splits one item `name:a:b` of a list into its name and its space-separated arguments. */
static void parse_item(const char *item, unsigned len, struct prog *p) {
    unsigned i = 0;
    unsigned n = 0;
    if (len >= ITEM_MAX) len = ITEM_MAX - 1;
    while (i < len && item[i] != ':') p->name[n++] = item[i++];
    p->name[n] = '\0';
    n = 0;
    if (i < len) i++;
    while (i < len) {
        p->args[n++] = item[i] == ':' ? ' ' : item[i];
        i++;
    }
    p->args[n] = '\0';
    p->pid = -1;
}

/* Fills progs from the comma-separated list; returns how many there are. */
static int parse_list(const char *list, struct prog *progs) {
    int count = 0;
    while (*list) {
        unsigned len = (unsigned)strcspn(list, ",");
        if (len > 0) {
            if (count == MAX_PROGS) {
                printf("init: too many programs, ignoring the rest\n");
                break;
            }
            parse_item(list, len, &progs[count++]);
        }
        list += len;
        if (*list == ',') list++;
    }
    return count;
}

static int start(struct prog *p) {
    p->pid = spawn(p->name, p->args);
    if (p->pid < 0) {
        printf("init: cannot start %s: %s\n", p->name, vamos_strerror(p->pid));
        failures++;
    }
    return p->pid;
}

static void reap(struct prog *p) {
    int status = 0;
    int r;
    if (p->pid < 0) return;
    r = wait(p->pid, &status);
    if (r < 0) {
        printf("init: wait for %s failed: %s\n", p->name, vamos_strerror(r));
        failures++;
        return;
    }
    printf("init: %s exited with status %d\n", p->name, status);
    if (status != 0) failures++;
}

static void run_list(const char *list) {
    static struct prog progs[MAX_PROGS];
    int n = parse_list(list, progs);
    int i;
    for (i = 0; i < n; i++) {
        if (start(&progs[i]) >= 0) reap(&progs[i]);
    }
}

static void spawn_list(const char *list) {
    static struct prog progs[MAX_PROGS];
    int n = parse_list(list, progs);
    int i;
    for (i = 0; i < n; i++) start(&progs[i]);
    for (i = 0; i < n; i++) reap(&progs[i]);
}

int main(int argc, char **argv) {
    int i;
    int acted = 0;
    printf("init: vamos userland\n");
    for (i = 1; i < argc; i++) {
        if (strncmp(argv[i], "run=", 4) == 0) {
            run_list(argv[i] + 4);
            acted = 1;
        } else if (strncmp(argv[i], "spawn=", 6) == 0) {
            spawn_list(argv[i] + 6);
            acted = 1;
        }
    }
    if (!acted) printf("init: nothing to run (give run=a,b or spawn=a,b)\n");
    return failures ? 1 : 0;
}
