// `make test-asan`: the deliberately wrong ops of WrongOps.swift, built with the address
// sanitizer. Before issue 22 the first of them wrote past a buffer in `NDArray.sum(to:)`;
// now each must end in its thrown error, and ASan must see no invalid access.

#if canImport(Glibc)
import Glibc
#endif

var failed = false
for outcome in wrongOpOutcomes() {
    let ok = outcome.got == outcome.expected
    failed = failed || !ok
    print(ok ? "ok  " : "FAIL", outcome.case + ":", outcome.got)
    if !ok { print("     expected:", outcome.expected) }
}
if failed { exit(1) }
