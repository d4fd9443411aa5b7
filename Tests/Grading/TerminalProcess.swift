import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A submission's program, started as a student starts it in a terminal: a shell command
/// whose standard input, output and error are a pseudo-terminal.
///
/// Why a terminal and not pipes: many programs buffer their output in blocks when it goes to
/// a pipe (Python's `print`, C's `printf`) and show nothing until they exit, though they work
/// perfectly for a student at a terminal. Under a pseudo-terminal they line-buffer, as there.
/// The terminal's echo is turned off, as `stty -echo` does, so that what the grader types is
/// not mistaken for what the program printed.
///
/// The program runs in a session and process group of its own, so `stop()` ends it together
/// with anything it started (`sh -c`, `java`, a child process), and nothing is left behind.
/// Every wait takes a deadline: a hanging program costs time, never a hung grader.
public final class TerminalProcess: @unchecked Sendable {
  /// The process identifier, which is also its process group's.
  public let processIdentifier: pid_t
  /// A name for reports: "server", "subscriber 2".
  public let label: String
  /// The shell command it runs.
  public let command: String
  /// The grader's side of the terminal, for typing. It is a duplicate of the descriptor the
  /// monitor thread reads, so each side closes its own: this one in `deinit`, when nobody
  /// can type any more.
  private let inputDescriptor: Int32
  private let transcript = Transcript()

  /// Starts `command` with `/bin/sh -c` in `directory` (the current one if `nil`).
  ///
  /// - Throws: `LaunchError` if the terminal or the process cannot be created; a command
  ///   that does not exist still starts a shell, which exits with status 127.
  public init(command: String, directory: String? = nil, label: String) throws(LaunchError) {
    self.label = label
    self.command = command
    let script = (directory.map { "cd \(ShellQuoting.quote($0)) || exit 127\n" } ?? "") + command
    let (controller, terminal) = try Self.openTerminal()
    defer { close(terminal) }
    do {
      processIdentifier = try Self.spawn(["/bin/sh", "-c", script], terminal: terminal)
    } catch {
      close(controller)
      throw error
    }
    LiveProcessGroups.shared.insert(processIdentifier)
    inputDescriptor = fcntl(controller, F_DUPFD_CLOEXEC, 3)
    let (pid, transcript) = (processIdentifier, transcript)
    let monitor = Thread { Self.monitor(controller, process: pid, transcript: transcript) }
    monitor.name = "grade: \(label)"
    monitor.start()
  }

  deinit {
    stop()
    close(inputDescriptor)
  }

  /// Everything the program has shown so far, as plain text (see `TerminalText`).
  public var output: String { transcript.text() }

  /// The exit status once the program has exited (128 + N if a signal N ended it, as a
  /// shell reports it); `nil` while it runs.
  public var exitStatus: Int32? { transcript.exitStatus }

  /// Whether the program is still running.
  public var isRunning: Bool { exitStatus == nil }

  /// Types `line` and a newline, as a person at the terminal would.
  ///
  /// - Returns: `false` if the program has exited, or if its terminal's input stays full
  ///   for a second because it is not reading.
  @discardableResult
  public func type(_ line: String) -> Bool {
    guard isRunning else { return false }
    let bytes = Array((line + "\n").utf8)
    var written = 0
    let deadline = Deadline(after: .seconds(1))
    while written < bytes.count {
      let count = bytes[written...].withUnsafeBytes {
        write(inputDescriptor, $0.baseAddress, $0.count)
      }
      if count > 0 {
        written += count
        continue
      }
      guard count < 0, errno == EAGAIN || errno == EINTR, !deadline.hasPassed else {
        return false
      }
      var waiting = pollfd(fd: inputDescriptor, events: Int16(POLLOUT), revents: 0)
      _ = poll(&waiting, 1, 20)
    }
    return true
  }

  /// Waits until the output contains `text`.
  ///
  /// - Returns: Whether it appeared before `deadline`.
  public func waitForOutput(containing text: String, before deadline: Deadline) -> Bool {
    transcript.wait(before: deadline) { $0.text.contains(text) }
  }

  /// Waits for the program to exit.
  ///
  /// - Returns: Its exit status, or `nil` if it was still running at `deadline`.
  public func waitForExit(before deadline: Deadline) -> Int32? {
    _ = transcript.wait(before: deadline) { $0.exitStatus != nil }
    return exitStatus
  }

  /// Returns the last `count` non-empty lines of output, for a report's "seen".
  public func lastLines(_ count: Int = 4) -> String {
    let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
    if lines.isEmpty { return "(no output)" }
    return lines.suffix(count).map { "\"\($0.prefix(160))\"" }.joined(separator: " / ")
  }

  /// Ends the program and everything in its process group with `SIGKILL`, and waits (up to
  /// two seconds) until it has been reaped. Calling it again does nothing.
  public func stop() {
    if LiveProcessGroups.shared.remove(processIdentifier) {
      kill(-processIdentifier, SIGKILL)
      kill(processIdentifier, SIGKILL)
    }
    transcript.requestStop()
    _ = transcript.wait(before: Deadline(after: .seconds(2))) { $0.isFinished }
  }

  // MARK: - Starting

  /// Opens a pseudo-terminal with echo off, both ends closed on `exec` (the child gets its
  /// own copies as standard input, output and error), the grader's end non-blocking.
  private static func openTerminal() throws(LaunchError) -> (controller: Int32, terminal: Int32) {
    var size = winsize(ws_row: 50, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0)
    var controller: Int32 = -1
    var terminal: Int32 = -1
    // `openpty` cannot set close-on-exec atomically; the lock keeps our own spawns from
    // inheriting the pair in between (see `spawnLock`).
    let opened = spawnLock.withLock {
      let result = openpty(&controller, &terminal, nil, nil, &size)
      if result == 0 {
        _ = fcntl(controller, F_SETFD, FD_CLOEXEC)
        _ = fcntl(terminal, F_SETFD, FD_CLOEXEC)
      }
      return result
    }
    guard opened == 0 else { throw LaunchError(operation: "openpty", errno: errno) }
    var settings = termios()
    if tcgetattr(terminal, &settings) == 0 {
      settings.c_lflag &= ~tcflag_t(ECHO)
      _ = tcsetattr(terminal, TCSANOW, &settings)
    }
    _ = fcntl(controller, F_SETFL, fcntl(controller, F_GETFL) | O_NONBLOCK)
    return (controller, terminal)
  }

  /// Starts `arguments` with `terminal` as standard input, output and error, in a new
  /// session, with default signal handling and no other descriptors of ours.
  private static func spawn(_ arguments: [String], terminal: Int32) throws(LaunchError) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for standardDescriptor in Int32(0)...2 {
      posix_spawn_file_actions_adddup2(&actions, terminal, standardDescriptor)
    }
    _ = addCloseFrom?(&actions, 3)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // We ignore SIGPIPE; a child would inherit that, and behave unlike in a terminal.
    var defaultSignals = sigset_t()
    sigemptyset(&defaultSignals)
    for signalNumber in [SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP] {
      sigaddset(&defaultSignals, signalNumber)
    }
    posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
    var noSignalsBlocked = sigset_t()
    sigemptyset(&noSignalsBlocked)
    posix_spawnattr_setsigmask(&attributes, &noSignalsBlocked)
    let flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK) | spawnNewSession
    posix_spawnattr_setflags(&attributes, Int16(flags))

    let argumentStrings = arguments.map { strdup($0) } + [nil]
    defer { argumentStrings.forEach { free($0) } }
    var processIdentifier: pid_t = 0
    let result = spawnLock.withLock {
      posix_spawn(&processIdentifier, arguments[0], &actions, &attributes, argumentStrings, environ)
    }
    guard result == 0 else { throw LaunchError(operation: "posix_spawn", errno: result) }
    return processIdentifier
  }

  // MARK: - Watching

  /// The monitor thread: copies the terminal's output into `transcript` and reaps the
  /// process, until the output has ended and the process has exited (or, after `stop()`,
  /// as soon as it has exited: a grandchild may still hold the terminal open).
  ///
  /// It polls with a short timeout because Linux offers no portable way to wait for a
  /// descriptor and a child process at once; 20 ms is far below anything the checks measure.
  private static func monitor(_ controller: Int32, process: pid_t, transcript: Transcript) {
    var chunk = [UInt8](repeating: 0, count: 65_536)
    var isOutputOpen = true
    var exitStatus: Int32?
    /// Reads whatever is buffered now; `false` once the terminal has no writers left.
    func drain() -> Bool {
      while true {
        let count = chunk.withUnsafeMutableBytes { read(controller, $0.baseAddress, $0.count) }
        if count > 0 {
          transcript.append(chunk[..<count])
        } else if count < 0 && (errno == EAGAIN || errno == EINTR) {
          return true
        } else {
          return false  // EIO: every copy of the terminal's other end is closed
        }
      }
    }
    while true {
      if isOutputOpen {
        var readable = pollfd(fd: controller, events: Int16(POLLIN), revents: 0)
        if poll(&readable, 1, 20) > 0 { isOutputOpen = drain() }
      } else {
        _ = poll(nil, 0, 20)
      }
      if exitStatus == nil, let status = reap(process) {
        if isOutputOpen { isOutputOpen = drain() }
        exitStatus = status
        transcript.setExitStatus(status)
      }
      if exitStatus != nil && (!isOutputOpen || transcript.isStopRequested) { break }
    }
    close(controller)
    transcript.finish()
  }

  /// Reaps `process` if it has exited, returning its status as a shell reports it.
  private static func reap(_ process: pid_t) -> Int32? {
    var status: Int32 = 0
    let result = waitpid(process, &status, WNOHANG)
    guard result == process else { return result < 0 && errno == ECHILD ? -1 : nil }
    let signalNumber = status & 0x7F
    return signalNumber == 0 ? (status >> 8) & 0xFF : 128 + signalNumber
  }
}

/// A process or terminal that could not be created: a problem of the grader's machine, not
/// of the submission.
public struct LaunchError: Error, Sendable, CustomStringConvertible {
  /// The call that failed.
  public let operation: String
  /// Its error number.
  public let errno: Int32

  public var description: String {
    "\(operation) failed: \(String(cString: strerror(errno)))"
  }
}

/// A point in time by which something must have happened.
public struct Deadline: Sendable {
  /// The moment itself.
  public let instant: ContinuousClock.Instant
  /// How long after its creation the deadline is, for reports ("within 5.0 seconds").
  public let duration: Duration

  /// The deadline `duration` from now.
  public init(after duration: Duration) {
    instant = .now + duration
    self.duration = duration
  }

  /// The earlier of this deadline and `other`.
  public func limited(to other: Deadline) -> Deadline {
    instant <= other.instant ? self : other
  }

  /// Whether the moment has come.
  public var hasPassed: Bool { .now >= instant }

  /// The same moment as a `Date`, for Foundation's waits.
  var date: Date {
    let (seconds, attoseconds) = (instant - .now).components
    return Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18)
  }
}

/// The process groups started and not yet stopped, so that the `grade` command can end them
/// all when it is interrupted.
public final class LiveProcessGroups: @unchecked Sendable {
  /// The one registry of the process.
  public static let shared = LiveProcessGroups()
  /// Guards `groups` and `isClosed`.
  private let lock = NSLock()
  private var groups: Set<pid_t> = []
  private var isClosed = false

  /// Records a new group; after `killAll()` it is killed at once instead, so that a grading
  /// thread still running while the command exits cannot leave a program behind.
  func insert(_ group: pid_t) {
    let isAccepted = lock.withLock {
      if !isClosed { groups.insert(group) }
      return !isClosed
    }
    if !isAccepted { kill(-group, SIGKILL) }
  }

  /// Removes `group`, returning whether it was there (so that only one caller kills it).
  func remove(_ group: pid_t) -> Bool {
    lock.withLock { groups.remove(group) != nil }
  }

  /// Kills every live process group with `SIGKILL`, and every one started from now on.
  public func killAll() {
    let current = lock.withLock {
      isClosed = true
      defer { groups.removeAll() }
      return groups
    }
    for group in current { kill(-group, SIGKILL) }
  }
}

/// Everything a `TerminalProcess`'s monitor thread has seen, shared with the threads that wait
/// on it.
private final class Transcript: @unchecked Sendable {
  /// What a waiter sees: a consistent copy of the state.
  struct Snapshot {
    var text: String
    var exitStatus: Int32?
    var isFinished: Bool
    var generation: Int
  }

  /// Output beyond this is dropped: a runaway program must not exhaust the grader's memory.
  static let maximumByteCount = 4 << 20

  // `bytes`, `status`, `isFinished`, `stopRequested`, `generation` and the text cache
  // are guarded by `condition`, which is broadcast whenever one of them changes. Decoding
  // the text happens outside it.
  private let condition = NSCondition()
  private var bytes: [UInt8] = []
  private var status: Int32?
  private var isFinished = false
  private var stopRequested = false
  private var generation = 0
  private var cachedText = ""
  private var cachedByteCount = 0

  func append(_ chunk: ArraySlice<UInt8>) {
    change { $0.bytes.append(contentsOf: chunk.prefix(Self.maximumByteCount - $0.bytes.count)) }
  }

  func setExitStatus(_ status: Int32) {
    change { $0.status = status }
  }

  func requestStop() {
    change { $0.stopRequested = true }
  }

  /// The exit status, once the process has exited (without decoding the output).
  var exitStatus: Int32? { condition.withLock { status } }

  /// Whether `stop()` has been called.
  var isStopRequested: Bool { condition.withLock { stopRequested } }

  func finish() {
    change { $0.isFinished = true }
  }

  /// The output as plain text, decoded again only when bytes have arrived since last time.
  func text() -> String {
    let (copy, cached): ([UInt8]?, String) = condition.withLock {
      bytes.count == cachedByteCount ? (nil, cachedText) : (bytes, "")
    }
    guard let copy else { return cached }
    let text = TerminalText.plainText(from: copy)
    condition.withLock {
      // Output only grows, so the same count means the same bytes.
      if bytes.count == copy.count {
        cachedText = text
        cachedByteCount = copy.count
      }
    }
    return text
  }

  /// The current state. The generation is read before the text, so the text is never older
  /// than the generation: a waiter cannot miss output that arrived in between.
  func snapshot() -> Snapshot {
    let (status, isFinished, generation) = condition.withLock {
      (self.status, self.isFinished, self.generation)
    }
    return Snapshot(
      text: text(), exitStatus: status, isFinished: isFinished, generation: generation)
  }

  /// Waits until `isSatisfied` holds for the current state, or `deadline` passes, or nothing
  /// can change any more. Returns whether it holds.
  func wait(before deadline: Deadline, until isSatisfied: (Snapshot) -> Bool) -> Bool {
    while true {
      let current = snapshot()
      if isSatisfied(current) { return true }
      if current.isFinished || deadline.hasPassed { return false }
      condition.withLock {
        while generation == current.generation && !deadline.hasPassed {
          _ = condition.wait(until: deadline.date)
        }
      }
    }
  }

  private func change(_ body: (Transcript) -> Void) {
    condition.withLock {
      body(self)
      generation += 1
      condition.broadcast()
    }
  }
}

/// Serialises creating descriptors that must not leak into a child with starting children.
/// Where the C library can close every other descriptor in the child (`addCloseFrom`), this
/// is a second line of defence; elsewhere it is the only one for the grader's own terminals.
private let spawnLock = NSLock()

/// `POSIX_SPAWN_SETSID` from glibc's `<spawn.h>` (2.26 and later): start the child in a new
/// session, so it leads its own process group. Swift does not see the macro because glibc
/// declares it only under `_GNU_SOURCE`.
private let spawnNewSession: Int32 = 0x80

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time
/// for the same reason: it makes the child close every descriptor from 3 up, so a submission
/// never holds the grader's sockets or another child's terminal. `nil` on an older C library.
private let addCloseFrom:
  (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let program = dlopen(nil, RTLD_NOW),
      let symbol = dlsym(program, "posix_spawn_file_actions_addclosefrom_np")
    else { return nil }
    return unsafeBitCast(
      symbol,
      to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)
        .self)
  }()
