/* cpubench: the compiler benchmark's sort program (tests/cc/corpus/bench_sort.c, also run natively by
 * gcc in the tests and the bench), its main renamed bench_sort so that cpubench.c can call it. */
#define main bench_sort
#include "../../../tests/cc/corpus/bench_sort.c"
