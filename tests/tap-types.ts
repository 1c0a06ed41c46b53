/** Types for test helpers that take a subtest's `t` (tap exports no name for that type). */
import type t from 'tap';

/** The `t` a `t.test(name, (t) => …)` callback receives. */
export type Tap = NonNullable<ReturnType<typeof t.test>['subtest']>;
