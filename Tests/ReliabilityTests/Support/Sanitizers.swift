import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Which sanitizer, if any, this test run was built with (`swift test --sanitize=...`). The
/// programs the tests start are built the same way, and two of the sanitizers' habits show
/// in what the tests measure of them.
enum Sanitizers {
  /// ThreadSanitizer is linked in: its runtime defines `__tsan_init`.
  static let isThreadSanitizerActive = dlsym(nil, "__tsan_init") != nil
  /// AddressSanitizer is linked in: its runtime defines `__asan_init`.
  static let isAddressSanitizerActive = dlsym(nil, "__asan_init") != nil

  /// Whether resident memory says anything about leaks: not under a sanitizer, whose
  /// allocator holds on to freed memory on purpose (AddressSanitizer's quarantine of 256 MiB,
  /// ThreadSanitizer's caches and shadow memory).
  static var residentMemoryIsMeaningful: Bool {
    !isThreadSanitizerActive && !isAddressSanitizerActive
  }

  /// Time a sanitizer adds to an instrumented process's exit, which is the sanitizer's, not
  /// the program's: ThreadSanitizer sleeps before exiting (its `atexit_sleep_ms` option, 1 s
  /// unless `TSAN_OPTIONS` says otherwise; CI sets 0), and LeakSanitizer, part of
  /// AddressSanitizer, scans the heap for leaks (a fraction of a second, allowed here).
  static var exitDelay: Duration {
    if isThreadSanitizerActive {
      return .milliseconds(option("atexit_sleep_ms", in: "TSAN_OPTIONS") ?? 1000)
    }
    if isAddressSanitizerActive {
      return option("detect_leaks", in: "ASAN_OPTIONS") == 0 ? .zero : .milliseconds(250)
    }
    return .zero
  }

  /// The numeric value of `name` in the sanitizer options variable `variable`, if set.
  private static func option(_ name: String, in variable: String) -> Int? {
    let options = ProcessInfo.processInfo.environment[variable] ?? ""
    for option in options.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "," })
    where option.hasPrefix(name + "=") {
      return Int(option.dropFirst(name.count + 1))
    }
    return nil
  }
}
