/* cpubench: the compiler benchmark's sieve program (tests/cc/corpus/bench_sieve.c, also run natively by
 * gcc in the tests and the bench), its main renamed bench_sieve so that cpubench.c can call it. */
#define main bench_sieve
#include "../../../tests/cc/corpus/bench_sieve.c"
