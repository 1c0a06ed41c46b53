/* cpubench: the compiler benchmark's crc32 program (tests/cc/corpus/bench_crc32.c, also run natively by
 * gcc in the tests and the bench), its main renamed bench_crc32 so that cpubench.c can call it. */
#define main bench_crc32
#include "../../../tests/cc/corpus/bench_crc32.c"
