import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A `task4-broker` process started by the probe, with its standard output kept line by line
/// and stamped with the probe's own monotonic clock as it arrives.
final class ChildProcess: @unchecked Sendable {
  /// One line of output and when the probe read it.
  struct Line {
    var text: String
    var arrival: ContinuousClock.Instant
  }

  private let process = Process()
  // `lines` and `isFinished` are guarded by `condition`, broadcast on every change.
  private let condition = NSCondition()
  private var lines: [Line] = []
  private var isFinished = false

  /// Starts `executable` with `arguments`; standard error goes to the probe's.
  init(executable: URL, arguments: [String]) throws {
    process.executableURL = executable
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardInput = FileHandle.nullDevice
    try process.run()
    try? output.fileHandleForWriting.close()
    let descriptor = output.fileHandleForReading.fileDescriptor
    let reader = Thread { [self] in collect(from: descriptor) }
    reader.name = "output of \(executable.lastPathComponent)"
    reader.start()
  }

  deinit { stop() }

  var processIdentifier: pid_t { process.processIdentifier }

  private func collect(from descriptor: Int32) {
    var pending: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      let now = ContinuousClock.now
      condition.lock()
      if count > 0 {
        pending.append(contentsOf: chunk[..<count])
        while let newline = pending.firstIndex(of: 0x0A) {
          lines.append(
            Line(text: String(decoding: pending[..<newline], as: UTF8.self), arrival: now))
          pending.removeSubrange(...newline)
        }
      } else {
        isFinished = true
      }
      condition.broadcast()
      condition.unlock()
      if count <= 0 { break }
    }
    close(descriptor)
  }

  /// Waits until a line containing `text` has appeared (after the first `skipping` lines),
  /// or `timeout` has passed.
  func waitForLine(containing text: String, after skipping: Int = 0, timeout: Duration) -> Line? {
    let deadline = Date(timeIntervalSinceNow: Double(timeout.components.seconds))
    condition.lock()
    defer { condition.unlock() }
    while true {
      if let found = lines.dropFirst(skipping).first(where: { $0.text.contains(text) }) {
        return found
      }
      if isFinished || !condition.wait(until: deadline) { return nil }
    }
  }

  /// The last `count` lines read, for a report of what went wrong.
  func lastLines(_ count: Int) -> [String] {
    condition.lock()
    defer { condition.unlock() }
    return lines.suffix(count).map(\.text)
  }

  /// The number of lines read so far.
  var lineCount: Int {
    condition.lock()
    defer { condition.unlock() }
    return lines.count
  }

  /// Sends `signal` to the process.
  func send(_ signal: Int32) {
    kill(process.processIdentifier, signal)
  }

  /// Kills the process (if it still runs) and waits for it.
  func stop() {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGCONT)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }
}
