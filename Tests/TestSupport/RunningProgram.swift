import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A failed wait in a test: what was expected, and what had been seen by the deadline.
public struct WaitTimedOut: Error, CustomStringConvertible {
  /// What the test was waiting for.
  public let expectation: String
  /// What the program (or socket) had produced by then.
  public let seen: String

  public var description: String {
    "timed out waiting for \(expectation); seen so far:\n\(seen.isEmpty ? "(nothing)" : seen)"
  }
}

/// One of the package's executables, started as a user would start it, with its standard
/// input, output and error connected to pipes the test controls.
///
/// Every wait takes a deadline, so a broken program fails its test instead of hanging the
/// suite; the process is killed when the object is released, so a failing test leaves no
/// process behind.
public final class RunningProgram: @unchecked Sendable {
  /// The process identifier.
  public let processIdentifier: pid_t
  private let process: Process
  private let input: FileHandle
  private let standardOutput: StreamCollector
  private let standardError: StreamCollector
  private let exited = DispatchSemaphore(value: 0)

  /// The directory holding the built executables: the test runner's own directory, since
  /// `swift build` puts products side by side.
  public static let productsDirectory: URL = {
    let runner =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: runner).deletingLastPathComponent()
    // Inside an `.xctest` bundle directory (not used on Linux, but harmless) go up one more.
    if directory.pathExtension == "xctest" { directory.deleteLastPathComponent() }
    return directory
  }()

  /// Starts the product `name` (e.g. `task1-server`) with `arguments`.
  public convenience init(_ name: String, _ arguments: [String] = []) throws {
    try self.init(executable: Self.productsDirectory.appendingPathComponent(name), arguments)
  }

  /// Starts the program at `executable` with `arguments`.
  public init(executable: URL, _ arguments: [String]) throws {
    process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let inputPipe = Pipe()
    let outputPipe = Pipe()
    let errorPipe = Pipe()
    process.standardInput = inputPipe
    process.standardOutput = outputPipe
    process.standardError = errorPipe
    let exited = self.exited
    process.terminationHandler = { _ in exited.signal() }
    try process.run()
    processIdentifier = process.processIdentifier
    input = inputPipe.fileHandleForWriting
    standardOutput = StreamCollector(outputPipe.fileHandleForReading.fileDescriptor)
    standardError = StreamCollector(errorPipe.fileHandleForReading.fileDescriptor)
    // Keep the parent's copies of the child's ends closed, so end of stream is seen.
    try? outputPipe.fileHandleForWriting.close()
    try? errorPipe.fileHandleForWriting.close()
    try? inputPipe.fileHandleForReading.close()
  }

  deinit {
    if process.isRunning { kill(processIdentifier, SIGKILL) }
    try? input.close()
    // Under `swift test --sanitize=thread` (or address) the executables are instrumented too;
    // a report they print must fail the test that ran them, not scroll by unseen.
    let errors = errorOutput
    if errors.contains("ThreadSanitizer") || errors.contains("AddressSanitizer") {
      Issue.record(
        "sanitizer report from \(process.executableURL?.lastPathComponent ?? "program"):\n\(errors)"
      )
    }
  }

  /// Everything written to standard output so far.
  public var output: String { standardOutput.text }
  /// Everything written to standard error so far.
  public var errorOutput: String { standardError.text }

  /// Types `line` (a newline is added) on the program's standard input.
  public func type(_ line: String) {
    input.write(Data((line + "\n").utf8))
  }

  /// Writes raw bytes to standard input.
  public func write(_ bytes: [UInt8]) {
    input.write(Data(bytes))
  }

  /// Closes standard input: the program sees end of input, as after Ctrl-D.
  public func closeInput() {
    try? input.close()
  }

  /// Waits until standard output contains `text`, returning the line it appears on.
  @discardableResult
  public func waitForOutput(containing text: String, timeout: Duration = .seconds(10)) throws
    -> String
  {
    try standardOutput.waitForLine(containing: text, timeout: timeout)
  }

  /// Waits until standard error contains `text`, returning the line it appears on.
  @discardableResult
  public func waitForErrorOutput(containing text: String, timeout: Duration = .seconds(10))
    throws -> String
  {
    try standardError.waitForLine(containing: text, timeout: timeout)
  }

  /// Waits for `count` lines of standard output containing `text`.
  public func waitForOutput(containing text: String, count: Int, timeout: Duration = .seconds(10))
    throws
  {
    try standardOutput.wait(for: "\(count) lines containing '\(text)'", timeout: timeout) {
      $0.components(separatedBy: "\n").filter { $0.contains(text) }.count >= count
    }
  }

  /// Waits for the program to exit and returns its exit status (128 + N if killed by
  /// signal N, as a shell reports it).
  public func waitForExit(timeout: Duration = .seconds(10)) throws -> Int32 {
    if exited.wait(timeout: .now() + timeout.timeInterval) == .timedOut {
      throw WaitTimedOut(
        expectation: "\(process.executableURL?.lastPathComponent ?? "program") to exit",
        seen: output + errorOutput)
    }
    exited.signal()  // let later calls return at once too
    standardOutput.waitForEnd(timeout: .seconds(5))
    standardError.waitForEnd(timeout: .seconds(5))
    let status = process.terminationStatus
    return process.terminationReason == .uncaughtSignal ? 128 + status : status
  }

  /// Whether the process is still running.
  public var isRunning: Bool { process.isRunning }

  /// Sends `signal` to the process.
  public func send(signal: Int32) {
    kill(processIdentifier, signal)
  }
}

/// Reads one of a child's output pipes on its own thread, keeping everything it produced.
final class StreamCollector: @unchecked Sendable {
  // `bytes` and `isFinished` are guarded by `condition`, which is broadcast on every change.
  private let condition = NSCondition()
  private var bytes: [UInt8] = []
  private var isFinished = false

  init(_ descriptor: Int32) {
    let thread = Thread { [self] in
      var chunk = [UInt8](repeating: 0, count: 65_536)
      while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        condition.lock()
        if count > 0 { bytes.append(contentsOf: chunk[..<count]) } else { isFinished = true }
        condition.broadcast()
        condition.unlock()
        if count <= 0 { break }
      }
      close(descriptor)
    }
    thread.start()
  }

  var text: String {
    condition.lock()
    defer { condition.unlock() }
    return String(decoding: bytes, as: UTF8.self)
  }

  func wait(for expectation: String, timeout: Duration, until isSatisfied: (String) -> Bool)
    throws
  {
    let deadline = Date(timeIntervalSinceNow: timeout.timeInterval)
    condition.lock()
    defer { condition.unlock() }
    while true {
      let text = String(decoding: bytes, as: UTF8.self)
      if isSatisfied(text) { return }
      if isFinished || !condition.wait(until: deadline) {
        if isSatisfied(String(decoding: bytes, as: UTF8.self)) { return }
        throw WaitTimedOut(expectation: expectation, seen: String(decoding: bytes, as: UTF8.self))
      }
    }
  }

  func waitForLine(containing text: String, timeout: Duration) throws -> String {
    try wait(for: "'\(text)'", timeout: timeout) { $0.contains(text) }
    return self.text.components(separatedBy: "\n").first { $0.contains(text) } ?? text
  }

  func waitForEnd(timeout: Duration) {
    try? wait(for: "end of output", timeout: timeout) { _ in isFinished }
  }
}

extension Duration {
  /// The duration in seconds, for Foundation and Dispatch APIs.
  public var timeInterval: TimeInterval {
    let (seconds, attoseconds) = components
    return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
  }
}
