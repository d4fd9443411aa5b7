import Foundation
import Task1Echo
import TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// One of the workbook's programs running as if in a terminal window of its own, with a
/// recording of everything that window would show.
///
/// Standard output and standard error share one pipe, as they share a terminal, so their lines
/// interleave in the order the program wrote them. A line the script types is added to the
/// recording at the moment it is typed, as a terminal echoes keystrokes, so the recording reads
/// as the session a student sees. That is deterministic only because scripts wait for every
/// line they expect before their next step: `expect(_:timeout:)` is how they wait.
///
/// Used from the scenario's thread only; the pipe is read on a thread of its own (`Screen`).
final class Terminal {
  /// The part of the transcript name after the slash: `server`, `client`.
  let name: String
  /// What a student types to start the program, without the prompt: the transcript's first
  /// line.
  let commandLine: String
  private let process: Process
  private let input: FileHandle
  private let keyboard: Console
  private var isInputClosed = false
  private let screen: Screen
  private let exited = DispatchSemaphore(value: 0)
  /// How many of the program's output lines `expect(_:timeout:)` has matched so far.
  private var matchedLineCount = 0

  /// Starts `executable` with `arguments`, its standard input a pipe the script types into.
  ///
  /// - Throws: `ScenarioFailure` when the program cannot be started (not built, say).
  init(name: String, executable: URL, arguments: [String], commandLine: String) throws {
    self.name = name
    self.commandLine = commandLine
    process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let inputPipe = Pipe()
    let outputPipe = Pipe()
    process.standardInput = inputPipe
    process.standardOutput = outputPipe
    process.standardError = outputPipe
    let exited = self.exited
    process.terminationHandler = { _ in exited.signal() }
    do {
      try process.run()
    } catch {
      throw ScenarioFailure(
        "cannot start \(executable.path): \(error) (is it built? `swift build` builds it)")
    }
    input = inputPipe.fileHandleForWriting
    keyboard = Console(descriptor: input.fileDescriptor)
    screen = Screen(reading: outputPipe.fileHandleForReading)
    // The child has its own copies; ours must go, or the pipes would never report their end.
    try? outputPipe.fileHandleForWriting.close()
    try? inputPipe.fileHandleForReading.close()
  }

  deinit {
    // A failed scenario must not leave servers behind holding ports.
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    if !isInputClosed { try? input.close() }
  }

  /// Whether the program is still running.
  var isRunning: Bool { process.isRunning }

  /// Waits for the next line of output containing `text`, skipping earlier lines, and returns
  /// it. Lines already matched by an earlier call are not searched again, so expecting the
  /// same text twice waits for two lines.
  ///
  /// - Throws: `ScenarioFailure` if no such line appears within `timeout` or before the program's
  ///   output ends.
  @discardableResult
  func expect(_ text: String, timeout: Duration = .seconds(10)) throws -> String {
    let deadline = Date(timeIntervalSinceNow: timeout.timeInterval)
    let (index, line) = try screen.waitForLine(
      containing: text, from: matchedLineCount, until: deadline, in: name)
    matchedLineCount = index + 1
    return line
  }

  /// Types `line` and Return: the recording shows it where it was typed.
  func type(_ line: String) {
    precondition(!isInputClosed, "\(name): typing after the end of input")
    screen.echo(line + "\n")
    keyboard.writeLine(line)
  }

  /// Presses Ctrl-D at the start of a line: the program reads the end of its input. A terminal
  /// shows nothing for it.
  func endInput() {
    precondition(!isInputClosed, "\(name): input already ended")
    isInputClosed = true
    try? input.close()
  }

  /// Presses Ctrl-C: the terminal shows `^C` and the program gets `SIGINT`.
  func pressControlC() {
    screen.echo("^C\n")
    kill(process.processIdentifier, SIGINT)
  }

  /// Waits for the program to exit and for the last of its output.
  ///
  /// - Throws: `ScenarioFailure` if it is still running after `timeout` or exits with a status
  ///   other than `status` (128 + N when killed by signal N).
  func expectExit(status: Int32 = 0, timeout: Duration = .seconds(10)) throws {
    let deadline = Date(timeIntervalSinceNow: timeout.timeInterval)
    guard exited.wait(timeout: .now() + timeout.timeInterval) == .success else {
      throw ScenarioFailure.timedOut(waitingFor: "\(name) to exit", seen: screen.transcript)
    }
    exited.signal()  // so that a second call returns at once
    guard screen.waitForEnd(until: deadline) else {
      throw ScenarioFailure.timedOut(
        waitingFor: "the end of \(name)'s output", seen: screen.transcript)
    }
    let code = process.terminationStatus
    let actual = process.terminationReason == .uncaughtSignal ? 128 + code : code
    if actual != status {
      throw ScenarioFailure(
        "\(name) exited with status \(actual), expected \(status); it showed:\n"
          + screen.transcript)
    }
  }

  /// What the terminal showed, starting with the prompt and command line.
  var transcript: String {
    "$ \(commandLine)\n" + screen.transcript
  }
}

/// What a terminal shows: the program's output, with the typed lines echoed in between.
///
/// The reader thread appends output as it arrives; the scenario's thread appends echoes and
/// waits for output lines.
final class Screen: @unchecked Sendable {
  // `shown`, `output` and `isFinished` are guarded by `condition`, which is broadcast whenever
  // output arrives or ends.
  private let condition = NSCondition()
  /// Output and echoes, in the order they appeared.
  private var shown: [UInt8] = []
  /// The program's output alone: what `expect` searches, so a typed line never matches.
  private var output: [UInt8] = []
  private var isFinished = false
  /// The pipe's reading end. The handle owns the descriptor and closes it when released,
  /// which cannot happen while the reader thread, holding `self`, still reads.
  private let source: FileHandle

  /// Starts a thread reading `source` until its end.
  init(reading source: FileHandle) {
    self.source = source
    let descriptor = source.fileDescriptor
    let thread = Thread { [self] in
      var chunk = [UInt8](repeating: 0, count: 65_536)
      while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        condition.withLock {
          if count > 0 {
            shown.append(contentsOf: chunk[..<count])
            output.append(contentsOf: chunk[..<count])
          } else {
            isFinished = true
          }
          condition.broadcast()
        }
        if count <= 0 { break }
      }
    }
    thread.name = "screen"
    thread.start()
  }

  /// Shows typed text, as the terminal's echo would.
  func echo(_ text: String) {
    condition.withLock { shown.append(contentsOf: Array(text.utf8)) }
  }

  /// Everything shown so far.
  var transcript: String {
    condition.withLock { String(decoding: shown, as: UTF8.self) }
  }

  /// Waits for an output line at index `start` or later that contains `text`.
  ///
  /// Only complete lines count until the output ends, so a line is never matched half-written.
  ///
  /// - Returns: The line's index and the line.
  func waitForLine(containing text: String, from start: Int, until deadline: Date, in name: String)
    throws -> (Int, String)
  {
    condition.lock()
    defer { condition.unlock() }
    while true {
      var lines = String(decoding: output, as: UTF8.self).components(separatedBy: "\n")
      if !isFinished || lines.last == "" { lines.removeLast() }
      if start < lines.count,
        let index = lines[start...].firstIndex(where: { $0.contains(text) })
      {
        return (index, lines[index])
      }
      if isFinished || !condition.wait(until: deadline) {
        throw ScenarioFailure.timedOut(
          waitingFor: "'\(text)' from \(name)", seen: String(decoding: shown, as: UTF8.self))
      }
    }
  }

  /// Waits for the output to end; returns whether it did by `deadline`.
  func waitForEnd(until deadline: Date) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while !isFinished {
      if !condition.wait(until: deadline) { return isFinished }
    }
    return true
  }
}

/// A scenario that did not go as scripted, or could not run at all.
struct ScenarioFailure: Error, CustomStringConvertible {
  /// What went wrong, for the person running the tool.
  let description: String

  init(_ description: String) {
    self.description = description
  }

  /// A wait that reached its deadline (or the end of the output) unsatisfied.
  static func timedOut(waitingFor expectation: String, seen: String) -> ScenarioFailure {
    ScenarioFailure(
      "timed out waiting for \(expectation); the terminal showed:\n"
        + (seen.isEmpty ? "(nothing)" : seen))
  }
}
