/* cpubench: the compiler benchmark's strings program (tests/cc/corpus/bench_strings.c, also run natively by
 * gcc in the tests and the bench), its main renamed bench_strings so that cpubench.c can call it. */
#define main bench_strings
#include "../../../tests/cc/corpus/bench_strings.c"
