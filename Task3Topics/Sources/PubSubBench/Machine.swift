import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Facts about the machine the benchmark runs on.
enum Machine {
  /// `Intel(R) Xeon(R) ..., 2 cores, Linux 6.1.0`: enough to tell whether two sets of numbers
  /// can be compared.
  static var description: String {
    let cpuInfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model =
      cpuInfo.split(separator: "\n").first { $0.hasPrefix("model name") }
      .flatMap { $0.split(separator: ":", maxSplits: 1).last }
      .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    var names = utsname()
    uname(&names)
    let release = withUnsafeBytes(of: &names.release) { bytes in
      String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
    return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, Linux \(release)"
  }

  /// The one-minute load average, `1.94`: other work on the machine skews every number, so
  /// the report says how busy it was.
  static var loadAverage: String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
    return text.split(separator: " ").first.map(String.init) ?? "unknown"
  }

  /// Raises this process's open-file limit to its hard limit, so that a thousand subscriber
  /// connections fit, and returns the new limit.
  static func raiseDescriptorLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
    if limit.rlim_cur < limit.rlim_max {
      limit.rlim_cur = limit.rlim_max
      _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
      _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    return Int(clamping: limit.rlim_cur)
  }
}
