import Foundation
import Grading
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite("Programs under a pseudo-terminal", .timeLimit(.minutes(1)))
struct TerminalProcessTests {
  private let deadline = Deadline(after: .seconds(10))

  @Test("standard input, output and error are a terminal, with echo off")
  func isATerminal() throws {
    let process = try TerminalProcess(
      command: "for fd in 0 1 2; do [ -t $fd ] && echo \"tty $fd\"; done; stty -a", label: "tty")
    #expect(process.waitForExit(before: deadline) == 0)
    #expect(process.output.contains("tty 0\ntty 1\ntty 2\n"))
    #expect(process.output.contains("-echo "))
  }

  @Test(
    "a Python program that block-buffers into a pipe shows each line at once",
    .enabled(if: Fixtures.hasPython, "python3 is not installed"))
  func pythonLineBuffers() throws {
    // No flush, and no exit: under a pipe this line would stay in Python's buffer.
    let process = try TerminalProcess(
      command: "python3 -c 'import sys, time; print(\"shown at once\"); time.sleep(60)'",
      label: "python")
    #expect(process.waitForOutput(containing: "shown at once", before: deadline))
    #expect(process.isRunning)
  }

  @Test("typed lines reach the program, and its output comes back as plain text")
  func typing() throws {
    let process = try TerminalProcess(
      command: "while read line; do printf '\\033[32m<%s>\\033[0m\\n' \"$line\"; done",
      label: "reader")
    #expect(process.type("first line"))
    #expect(process.type("second line"))
    #expect(process.waitForOutput(containing: "<second line>", before: deadline))
    #expect(process.output == "<first line>\n<second line>\n")
  }

  @Test("exit statuses are reported as a shell reports them")
  func exitStatuses() throws {
    let exits = try TerminalProcess(command: "exit 3", label: "exit")
    #expect(exits.waitForExit(before: deadline) == 3)
    let missing = try TerminalProcess(command: "no-such-command-for-grading", label: "missing")
    #expect(missing.waitForExit(before: deadline) == 127)
    let killed = try TerminalProcess(command: "kill -9 $$", label: "killed")
    #expect(killed.waitForExit(before: deadline) == 128 + SIGKILL)
  }

  @Test("a wait on a program that never answers ends at its deadline")
  func deadlines() throws {
    let process = try TerminalProcess(command: "sleep 30", label: "sleeper")
    let start = ContinuousClock.now
    #expect(process.waitForExit(before: Deadline(after: .milliseconds(300))) == nil)
    #expect(
      !process.waitForOutput(containing: "never", before: Deadline(after: .milliseconds(300))))
    #expect(ContinuousClock.now - start < .seconds(5))
  }

  @Test("stop ends the program and everything it started")
  func stopEndsTheProcessGroup() throws {
    let process = try TerminalProcess(
      command: "sleep 300 & echo \"child $!\"; wait", label: "parent")
    #expect(process.waitForOutput(containing: "child ", before: deadline))
    let child = try #require(
      process.output.split(separator: " ").last.flatMap {
        pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
      })
    process.stop()
    #expect(process.exitStatus == 128 + SIGKILL)
    // The child was killed with its group; once its new parent has reaped it, it is gone.
    let gone = Deadline(after: .seconds(5))
    while Self.isAlive(child) && !gone.hasPassed { Thread.sleep(forTimeInterval: 0.02) }
    #expect(!Self.isAlive(child))
  }

  /// Whether `process` exists and is not a zombie waiting to be reaped.
  private static func isAlive(_ process: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(process)/stat", encoding: .utf8) else {
      return false
    }
    let state = stat.split(separator: ")").last?.split(separator: " ").first
    return state != "Z" && state != "X"
  }
}
