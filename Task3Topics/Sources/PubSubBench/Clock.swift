import BenchmarkKit
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Times and CPU readings for the benchmark.
enum Clock {
  /// Nanoseconds on the monotonic clock: never jumps with the wall clock, and shared by every
  /// thread of the process, so a publisher's send time and a subscriber's receive time can be
  /// subtracted.
  static func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
  }

  /// Sleeps until monotonic time `deadline` (nanoseconds); returns at once if it has passed.
  /// Used only to pace a fixed-rate publisher, never to wait for another thread.
  static func sleep(until deadline: UInt64) {
    var time = timespec(
      tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
    // clock_nanosleep returns EINTR when a signal arrives; the caller's loop re-checks the time.
    _ = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &time, nil)
  }

  /// CPU seconds (user plus system) used by this process so far.
  static func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
  }

  /// Nanoseconds in `duration`.
  static func nanoseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
  }
}

/// Readings of another process (the broker) from `/proc`.
struct BrokerProcess {
  /// Its process id.
  let id: Int32

  /// Resident memory in KiB and thread count, or `nil` if the process is gone.
  func memory() -> (kilobytes: Int, threads: Int)? {
    guard let text = try? String(contentsOfFile: "/proc/\(id)/status", encoding: .utf8),
      let kilobytes = ProcessStatus.residentKilobytes(inStatus: text),
      let threads = ProcessStatus.threads(inStatus: text)
    else { return nil }
    return (kilobytes, threads)
  }

  /// CPU seconds used so far, or `nil` if the process is gone.
  func cpuSeconds() -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(id)/stat", encoding: .utf8),
      let ticks = ProcessStatus.cpuTicks(inStat: text)
    else { return nil }
    return Double(ticks) / Double(sysconf(Int32(_SC_CLK_TCK)))
  }
}
