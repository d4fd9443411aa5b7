import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Writes whole lines to standard output or standard error, each with one `write(2)`.
///
/// `print` goes through the C library's `stdout`, which is block-buffered when it is a pipe
/// or a file: a test, `tee` or a grader reading the output would see nothing until 4 KiB had
/// piled up or the program ended. Writing each line straight to the descriptor makes it
/// visible at once wherever the output goes, and holding a lock for the write keeps lines
/// from different threads from interleaving mid-line.
public final class Console: Sendable {
  /// Standard output: what the program shows its user.
  public static let standardOutput = Console(descriptor: STDOUT_FILENO)
  /// Standard error: usage errors and diagnostics.
  public static let standardError = Console(descriptor: STDERR_FILENO)

  private let descriptor: Int32
  /// Guards the descriptor so that one line is written completely before the next starts.
  /// It is held across the write on purpose: ordering the lines is all it is for.
  private let lock = NSLock()

  /// Creates a console writing to `descriptor`, which the caller keeps open.
  public init(descriptor: Int32) {
    self.descriptor = descriptor
  }

  /// Writes `text` followed by a newline.
  public func writeLine(_ text: String) {
    var line = text
    line.append("\n")
    line.withUTF8 { bytes in
      lock.withLock { writeAll(UnsafeRawBufferPointer(bytes)) }
    }
  }

  /// Writes bytes as they are (already containing their newlines).
  public func write(_ bytes: UnsafeRawBufferPointer) {
    lock.withLock { writeAll(bytes) }
  }

  /// Call with `lock` held.
  private func writeAll(_ bytes: UnsafeRawBufferPointer) {
    guard var next = bytes.baseAddress else { return }
    var remaining = bytes.count
    while remaining > 0 {
      // A reader that went away (EPIPE: `program | head`) or a full disk ends the output;
      // it must not end the server, so errors are dropped.
      guard
        let written = try? retryingOnInterrupt(
          "write", { Glibc.write(descriptor, next, remaining) })
      else { return }
      next += written
      remaining -= written
    }
  }
}

/// The server's display of what is happening: one timestamped line per event.
///
/// The course asks the server to show every line its clients type; this is where that goes.
public final class ActivityLog: Sendable {
  private let console: Console?
  private let observer: (@Sendable (_ time: String, _ message: String) -> Void)?

  /// Creates a log on `console`; `nil` keeps it silent (benchmarks, `--quiet`).
  ///
  /// - Parameter observer: Also receives every event with its timestamp (a live view's
  ///   activity feed, say). It runs on the posting thread, so it must be quick.
  public init(
    console: Console? = .standardOutput,
    observer: (@Sendable (_ time: String, _ message: String) -> Void)? = nil
  ) {
    self.console = console
    self.observer = observer
  }

  /// Whether anything is shown; check it before building an expensive message.
  public var isEnabled: Bool { console != nil || observer != nil }

  /// Shows `message` after the local time: `[14:03:27.041] 127.0.0.1:51234 joined`.
  public func post(_ message: @autoclosure () -> String) {
    guard console != nil || observer != nil else { return }
    let time = Self.timestamp()
    let text = message()
    console?.writeLine("[\(time)] \(text)")
    observer?(time, text)
  }

  /// The local wall-clock time as `HH:MM:SS.mmm`.
  public static func timestamp() -> String {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    var seconds = now.tv_sec
    var parts = tm()
    localtime_r(&seconds, &parts)
    let milliseconds = now.tv_nsec / 1_000_000
    return two(parts.tm_hour) + ":" + two(parts.tm_min) + ":" + two(parts.tm_sec) + "."
      + (milliseconds < 10 ? "00" : milliseconds < 100 ? "0" : "") + String(milliseconds)
  }

  private static func two(_ value: Int32) -> String {
    value < 10 ? "0\(value)" : "\(value)"
  }
}
