import Foundation

/// Waits until `condition` holds, checking every few milliseconds, or throws once `timeout`
/// has passed. For states that announce themselves nowhere (a process's thread count, its
/// open descriptors), where there is no output line to wait for.
public func waitUntil(
  _ description: String, timeout: Duration = .seconds(10), _ condition: () throws -> Bool
) throws {
  let deadline = ContinuousClock.now + timeout
  while true {
    if try condition() { return }
    if ContinuousClock.now >= deadline {
      throw WaitTimedOut(expectation: description, seen: "condition still false")
    }
    usleep(5_000)
  }
}

/// Facts about a running process, read from `/proc`.
public enum ProcessFacts {
  /// The number of open file descriptors of process `pid`.
  public static func openDescriptorCount(of pid: pid_t) -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
  }

  /// The number of threads of process `pid`.
  public static func threadCount(of pid: pid_t) -> Int {
    statusField("Threads", of: pid)
  }

  /// The resident memory of process `pid`, in KiB.
  public static func residentKilobytes(of pid: pid_t) -> Int {
    statusField("VmRSS", of: pid)
  }

  private static func statusField(_ name: String, of pid: pid_t) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else {
      return -1
    }
    for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
      // "Threads:\t4", "VmRSS:\t   10240 kB": a tab, then maybe spaces.
      let value = line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
      return Int(value.first ?? "") ?? -1
    }
    return -1
  }
}
