/* Structs, unions, enums and typedefs: layout, nesting, initializers, copies, pointers. */
#include <stdio.h>
#include <string.h>

enum color { RED, GREEN = 5, BLUE };

typedef struct point {
    int x, y;
} Point;

struct rect {
    Point min, max;
    enum color color;
    char name[8];
};

union word {
    unsigned int u;
    unsigned char b[4];
};

struct node {
    int value;
    struct node *next;
};

static int area(const struct rect *r) {
    return (r->max.x - r->min.x) * (r->max.y - r->min.y);
}

static Point mid(struct rect r) {
    Point p;
    p.x = (r.min.x + r.max.x) / 2;
    p.y = (r.min.y + r.max.y) / 2;
    return p;
}

static struct rect rects[3] = {
    { { 0, 0 }, { 4, 3 }, RED, "first" },
    { .max = { .x = 10, .y = 10 }, .color = BLUE, .name = "second" },
    [2] = { { 1, 1 }, { 2, 2 }, GREEN, { 't', 'h', 'i' } },
};

int main(void) {
    int i;
    union word w;
    struct node nodes[5];
    struct node *n;
    struct rect copy;
    Point m;
    for (i = 0; i < 3; i++) {
        printf("%s: area %d color %d\n", rects[i].name, area(&rects[i]), (int)rects[i].color);
    }
    copy = rects[1];
    copy.min.x = 2;
    printf("copy %d %d, original %d\n", copy.min.x, area(&copy), area(&rects[1]));
    m = mid(rects[1]);
    printf("mid %d %d\n", m.x, m.y);
    w.u = 0x11223344u;
    printf("bytes %x %x %x %x\n", w.b[0], w.b[1], w.b[2], w.b[3]);
    for (i = 0; i < 5; i++) {
        nodes[i].value = i * 3;
        nodes[i].next = i < 4 ? &nodes[i + 1] : NULL;
    }
    for (n = &nodes[0]; n; n = n->next) printf("%d ", n->value);
    printf("\n");
    printf("sizeof(Point) %d sizeof(union word) %d\n", (int)sizeof(Point), (int)sizeof(union word));
    {
        struct { char c; int i; short s; } mixed;
        memset(&mixed, 0, sizeof mixed);
        mixed.c = 'x';
        mixed.i = -7;
        mixed.s = 300;
        printf("mixed %c %d %d\n", mixed.c, mixed.i, mixed.s);
    }
    return BLUE - 6;
}
