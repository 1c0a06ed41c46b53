/* cpubench: the compiler benchmark's matmul program (tests/cc/corpus/bench_matmul.c, also run natively by
 * gcc in the tests and the bench), its main renamed bench_matmul so that cpubench.c can call it. */
#define main bench_matmul
#include "../../../tests/cc/corpus/bench_matmul.c"
