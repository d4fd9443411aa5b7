import Foundation

/// How fast the grader types and how long it waits: the pace of a person at a terminal, with
/// deadlines generous enough for a slow machine and short enough that a broken submission
/// costs seconds, not minutes.
public struct Pacing: Sendable {
  /// For the server to listen, and for each client to connect.
  public var startupTime: Duration = .seconds(10)
  /// After a client has connected and before the first line is typed into it: programs that
  /// read their role from the first bytes, or set up after connecting, get this long.
  public var settleTime: Duration = .milliseconds(250)
  /// Between two lines typed into the same program, so that no two arrive in one read.
  public var lineGap: Duration = .milliseconds(150)
  /// For a message to appear where it should.
  public var deliveryTime: Duration = .seconds(5)
  /// For a message to appear where it should, once warm-up messages have already failed to
  /// arrive: the submission has shown it does not deliver, so less time is spent proving it.
  public var deliveryTimeAfterFailedWarmUp: Duration = .seconds(2)
  /// How long the grader watches for a message that must not appear, after every message
  /// that should appear has done so.
  public var quietTime: Duration = .seconds(1)
  /// For a client to exit after `terminate`.
  public var exitTime: Duration = .seconds(5)
  /// Between two warm-up messages.
  public var warmUpInterval: Duration = .milliseconds(300)
  /// For warm-up messages to reach every subscriber.
  public var warmUpTime: Duration = .seconds(8)

  /// The defaults above.
  public static let person = Pacing()

  /// Creates the default pacing.
  public init() {}
}

/// Receives one progress line while grading runs.
public typealias ProgressHandler = @Sendable (String) -> Void

/// One task's run against one submission: its server, its clients, and the outcome of each
/// check, recorded as the run goes.
///
/// The checks of a task form one scenario rather than one run each, because that is how the
/// course's programs are used (clients come and go while the server keeps running) and
/// because it keeps grading fast. A check that cannot be judged because something earlier
/// failed says so (`CheckOutcome.notJudged`), so a single fault costs only the checks it
/// breaks.
final class Scenario {
  let task: Int
  let commands: TaskCommands
  let pacing: Pacing
  private let progress: ProgressHandler
  private let definitions: [CheckDefinition]
  private var outcomes: [String: CheckOutcome] = [:]
  private var processes: [TerminalProcess] = []
  /// Why the remaining checks could not run, once something fatal happened.
  private var abortReason: String?
  /// Set when the grader, not the submission, may be at fault.
  private(set) var graderProblem: String?
  private(set) var port: UInt16 = 0
  private(set) var server: TerminalProcess?
  /// Whether a warm-up has already failed in this run.
  private var hasFailedWarmUp = false
  /// Whether a client has already failed to connect in this run.
  private var hasClientFailedToConnect = false

  init(
    task: Int, commands: TaskCommands, definitions: [CheckDefinition], pacing: Pacing,
    progress: @escaping ProgressHandler
  ) {
    self.task = task
    self.commands = commands
    self.definitions = definitions
    self.pacing = pacing
    self.progress = progress
  }

  deinit {
    stopAll()
  }

  // MARK: - Results

  /// Records the outcome of `check` and reports it as progress.
  func record(_ check: CheckDefinition, _ outcome: CheckOutcome) {
    outcomes[check.identifier] = outcome
    let awarded = outcome.isPassed ? check.marks : 0
    let verdict: String
    switch outcome {
    case .passed: verdict = "pass"
    case .failed: verdict = "FAIL"
    case .notJudged: verdict = "not judged"
    }
    report("\(verdict) \(check.identifier) \(check.title) (\(awarded)/\(check.marks))")
  }

  /// Stops the run: every check not yet recorded is not judged, for `reason`.
  func abort(_ reason: String) {
    abortReason = reason
    report("stopping: \(reason)")
  }

  /// Marks the run's result as possibly the grader's fault.
  func noteGraderProblem(_ problem: String) {
    graderProblem = problem
  }

  /// The task's result: every definition with its recorded outcome, in order.
  func result(title: String) -> TaskResult {
    let checks = definitions.map { definition in
      CheckResult(
        definition,
        outcomes[definition.identifier]
          ?? .notJudged(reason: abortReason ?? "not run: the grader stopped before this check"))
    }
    return TaskResult(task: task, title: title, checks: checks, graderProblem: graderProblem)
  }

  func report(_ message: String) {
    progress("task \(task): \(message)")
  }

  // MARK: - Programs

  /// Starts the server on a free port and waits until it listens there.
  ///
  /// A server that exits complaining that the address is in use is started again on another
  /// port (twice at most): another program may have taken the port after the grader found it
  /// free, and that is not the submission's fault.
  ///
  /// - Returns: The outcome of the "listens on the given port" check.
  func startServer() -> CheckOutcome {
    for attempt in 1...3 {
      port = PortPicker.shared.freePort()
      let command = commands.serverCommand(port: port)
      report("starting the server on port \(port): \(command)")
      let server: TerminalProcess
      do {
        server = try TerminalProcess(
          command: command, directory: commands.directory, label: "server")
      } catch {
        noteGraderProblem("the grader could not start a process: \(error)")
        abort("the grader could not start the server: \(error)")
        return .notJudged(reason: "the grader could not start the server: \(error)")
      }
      processes.append(server)
      self.server = server
      let deadline = Deadline(after: pacing.startupTime)
      let isListening = poll(until: deadline) {
        TCPTable.current().isListening(on: port) || !server.isRunning
      }
      if isListening && server.isRunning {
        if !TCPTable.isAvailable {
          noteGraderProblem(
            "/proc/net/tcp is not readable, so the grader could not see the server listen or "
              + "clients connect; it waited fixed times instead")
        }
        return .passed
      }
      let expected = "the server to listen on port \(port) within \(pacing.startupTime)"
      guard let status = server.exitStatus else {
        abort("the server never listened on port \(port)")
        return .failed(
          expected: expected,
          seen: "it was running but not listening on \(port) (does it use its port argument?);"
            + " output: \(server.lastLines())")
      }
      let output = server.output.lowercased()
      if attempt < 3 && (output.contains("in use") || output.contains("errno 98")) {
        report("port \(port) was taken in the meantime; trying another")
        continue
      }
      abort("the server exited before listening on port \(port)")
      return .failed(expected: expected, seen: Self.describeExit(status, of: server))
    }
    noteGraderProblem("three free ports in a row were reported in use")
    abort("no port could be used")
    return .notJudged(reason: "three free ports in a row were reported in use")
  }

  /// Starts a client with the contract's `arguments` (role, topics) and waits until it has
  /// connected to the server, then lets it settle before anything is typed into it.
  ///
  /// A client that does not connect is still returned: its checks fail, and their reports
  /// say why (`Client.connectionProblem`).
  func startClient(_ label: String, _ arguments: [String] = []) -> Client {
    let command = commands.clientCommand(host: "127.0.0.1", port: port, arguments: arguments)
    report("starting \(label): \(command)")
    let existing = TCPTable.current().clientConnectionPorts(to: port)
    let process: TerminalProcess
    do {
      process = try TerminalProcess(command: command, directory: commands.directory, label: label)
    } catch {
      noteGraderProblem("the grader could not start a process: \(error)")
      return Client(failedToStart: label, reason: "the grader could not start it: \(error)")
    }
    processes.append(process)
    // Once one client has failed to connect, the others most likely will too: they get the
    // shorter time, so that a submission whose clients connect elsewhere costs seconds.
    let limit = hasClientFailedToConnect ? pacing.deliveryTimeAfterFailedWarmUp : pacing.startupTime
    let deadline = Deadline(after: limit)
    let hasConnected = poll(until: deadline) {
      !TCPTable.current().clientConnectionPorts(to: port).subtracting(existing).isEmpty
        || !process.isRunning
    }
    var problem: String?
    if let status = process.exitStatus {
      problem = "\(label) exited as soon as it started: " + Self.describeExit(status, of: process)
    } else if !hasConnected {
      problem = "\(label) had not connected to port \(port) after \(limit)"
    }
    if let problem {
      report(problem)
      hasClientFailedToConnect = true
    }
    return Client(
      process: process, connectionProblem: problem, firstTypingTime: .now + pacing.settleTime,
      lineGap: pacing.lineGap)
  }

  /// Kills every process of the run, server last.
  func stopAll() {
    for process in processes.reversed() { process.stop() }
    processes.removeAll()
  }

  // MARK: - Judging

  /// Sends warm-up lines from `sender` until every one of `receivers` shows one.
  ///
  /// A client's connection is visible before the server has read its role (and topics), so
  /// a message published at once could be missed by a subscriber that is not registered
  /// yet. Rather than guess how long registration takes, the grader repeats a warm-up line
  /// until it has arrived everywhere; only then are the judged messages sent.
  ///
  /// - Returns: Whether every receiver showed a warm-up line in time.
  func warmUp(from sender: Client, _ text: String, until receivers: [Client]) -> Bool {
    // Once a warm-up has failed, the submission has shown that it does not deliver; later
    // warm-ups get the shorter time, so that a broken server costs seconds, not minutes.
    let limit = hasFailedWarmUp ? pacing.deliveryTimeAfterFailedWarmUp : pacing.warmUpTime
    let deadline = Deadline(after: limit)
    var round = 0
    while !deadline.hasPassed && sender.isUsable && receivers.allSatisfy(\.isUsable) {
      round += 1
      sender.type("\(text) \(round)")
      let roundDeadline = Deadline(after: pacing.warmUpInterval).limited(to: deadline)
      if receivers.allSatisfy({
        $0.process?.waitForOutput(containing: text, before: roundDeadline) ?? false
      }) {
        return true
      }
    }
    report("warm-up '\(text)' did not reach every receiver in \(limit)")
    hasFailedWarmUp = true
    return false
  }

  /// The deadline for judged messages, shorter once warm-up has shown they do not arrive.
  func deliveryDeadline(afterWarmUpSucceeded succeeded: Bool) -> Deadline {
    Deadline(after: succeeded ? pacing.deliveryTime : pacing.deliveryTimeAfterFailedWarmUp)
  }

  /// Judges that each `text` appears on each of its clients before `deadline`.
  func appearance(_ expectations: [(text: String, on: [Client])], before deadline: Deadline)
    -> CheckOutcome
  {
    var missing: [String] = []
    var expected: [String] = []
    for (text, clients) in expectations {
      expected.append("\"\(text)\" on \(Self.list(clients.map(\.label)))")
      for client in clients where !client.shows(text, before: deadline) {
        missing.append("\(client.label) did not show \"\(text)\": \(client.describe())")
      }
    }
    if missing.isEmpty { return .passed }
    return .failed(
      expected: expected.joined(separator: "; ") + ", within \(deadline.duration)",
      seen: missing.joined(separator: "; "))
  }

  /// Judges that `text` appears on the server's output before `deadline`.
  func shownOnServer(_ texts: [String], before deadline: Deadline) -> CheckOutcome {
    guard let server else { return .notJudged(reason: "the server is not running") }
    let missing = texts.filter { !server.waitForOutput(containing: $0, before: deadline) }
    if missing.isEmpty { return .passed }
    var seen = "the server's output has no \(missing.map { "\"\($0)\"" }.joined(separator: ", "))"
    if let status = server.exitStatus {
      seen += "; " + Self.describeExit(status, of: server)
    } else {
      seen += "; its last lines: \(server.lastLines())"
    }
    return .failed(
      expected: "\(Self.list(texts.map { "\"\($0)\"" })) on the server's output", seen: seen)
  }

  /// Waits the quiet period, in which a message that must not arrive would have arrived.
  ///
  /// Absence cannot be observed, only waited for; the grader waits once per run, after all
  /// the messages that should arrive have arrived, and judges every absence after it.
  func waitQuietPeriod() {
    Thread.sleep(forTimeInterval: pacing.quietTime.timeInterval)
  }

  /// Judges that no unwanted text appears where it must not, after `waitQuietPeriod()`.
  ///
  /// A message's absence means something only if the message was delivered where it should
  /// have been: a server that delivers nothing trivially delivers nothing to the wrong
  /// place. So an expectation with recipients counts only if its text reached one of them;
  /// if no expectation counts, the check is not judged, and says why with `subject`.
  func absence(_ expectations: [Unwanted], subject: String) -> CheckOutcome {
    var judged: [String] = []
    var seen: [String] = []
    for unwanted in expectations {
      if let recipients = unwanted.recipients,
        !recipients.contains(where: { $0.output.contains(unwanted.text) })
      {
        continue
      }
      let labels = unwanted.clients.map(\.label).joined(separator: ", ")
      judged.append("\"\(unwanted.text)\" on none of: \(labels)")
      for client in unwanted.clients where client.output.contains(unwanted.text) {
        seen.append("\(client.label) showed \"\(client.line(containing: unwanted.text))\"")
      }
    }
    if judged.isEmpty {
      return .notJudged(
        reason: "the messages it needs reached none of their subscribers, so whether "
          + "\(subject) cannot be judged")
    }
    if seen.isEmpty { return .passed }
    return .failed(expected: judged.joined(separator: "; "), seen: seen.joined(separator: "; "))
  }

  /// Types `terminate` into each client and judges that each exits.
  ///
  /// - Returns: The outcome and, for clients that exited, their exit statuses.
  func terminate(_ clients: [Client]) -> (outcome: CheckOutcome, statuses: [Int32]) {
    for client in clients { client.type("terminate") }
    let deadline = Deadline(after: pacing.exitTime)
    var running: [String] = []
    var statuses: [Int32] = []
    for client in clients {
      guard let process = client.process else {
        running.append("\(client.label) never started: \(client.describe())")
        continue
      }
      if let status = process.waitForExit(before: deadline) {
        statuses.append(status)
      } else {
        running.append("\(client.label) was still running; its last lines: \(process.lastLines())")
      }
    }
    if running.isEmpty { return (.passed, statuses) }
    return (
      .failed(
        expected: "\(Self.list(clients.map(\.label))) to exit within \(pacing.exitTime) of "
          + "typing 'terminate'",
        seen: running.joined(separator: "; ")),
      statuses
    )
  }

  // MARK: - Helpers

  /// Evaluates `condition` every 20 ms until it holds or `deadline` passes.
  ///
  /// Used only for what no event announces: a socket appearing in the kernel's table.
  private func poll(until deadline: Deadline, _ condition: () -> Bool) -> Bool {
    guard TCPTable.isAvailable else {
      // Without /proc, wait a fixed time as a person would before typing.
      Thread.sleep(forTimeInterval: 1)
      return true
    }
    while !condition() {
      if deadline.hasPassed { return false }
      Thread.sleep(forTimeInterval: 0.02)
    }
    return true
  }

  static func describeExit(_ status: Int32, of process: TerminalProcess) -> String {
    let hint =
      status == 127
      ? " (the shell could not find the command: check the command line and directory)"
      : status == 126 ? " (the command is not executable)" : ""
    return "it exited with status \(status)\(hint); its last lines: \(process.lastLines())"
  }

  static func list(_ items: [String]) -> String {
    switch items.count {
    case 0: return "nothing"
    case 1: return items[0]
    default: return items.dropLast().joined(separator: ", ") + " and " + items.last!
    }
  }
}

/// A client program in a scenario, typed into at a person's pace.
final class Client {
  /// A name for reports: "publisher 1", "NEWS subscriber 2".
  let label: String
  /// The running program; `nil` if it could not even be started.
  let process: TerminalProcess?
  /// Why the client did not connect, if it did not.
  let connectionProblem: String?
  private var nextTypingTime: ContinuousClock.Instant
  private let lineGap: Duration

  init(
    process: TerminalProcess, connectionProblem: String?,
    firstTypingTime: ContinuousClock.Instant, lineGap: Duration
  ) {
    self.label = process.label
    self.process = process
    self.connectionProblem = connectionProblem
    self.nextTypingTime = firstTypingTime
    self.lineGap = lineGap
  }

  init(failedToStart label: String, reason: String) {
    self.label = label
    self.process = nil
    self.connectionProblem = reason
    self.nextTypingTime = .now
    self.lineGap = .zero
  }

  /// Whether the client connected and is still running.
  var isUsable: Bool { connectionProblem == nil && process?.isRunning == true }

  /// Everything the client has shown.
  var output: String { process?.output ?? "" }

  /// Types `line`, first waiting out the settle time or the gap since the previous line.
  func type(_ line: String) {
    let wait = nextTypingTime - .now
    if wait > .zero { Thread.sleep(forTimeInterval: wait.timeInterval) }
    process?.type(line)
    nextTypingTime = .now + lineGap
  }

  /// Whether `text` appears in the output before `deadline`.
  func shows(_ text: String, before deadline: Deadline) -> Bool {
    process?.waitForOutput(containing: text, before: deadline) ?? false
  }

  /// The first line of output containing `text`, for reports.
  func line(containing text: String) -> String {
    let line = output.split(separator: "\n").first { $0.contains(text) } ?? Substring(text)
    return String(line.trimmingCharacters(in: .whitespaces).prefix(160))
  }

  /// What the client was doing, for a report's "seen".
  func describe() -> String {
    if let connectionProblem { return connectionProblem }
    guard let process else { return "not started" }
    if let status = process.exitStatus { return Scenario.describeExit(status, of: process) }
    return "its last lines: \(process.lastLines())"
  }
}

/// A text that must not appear on some clients.
struct Unwanted {
  /// The text.
  let text: String
  /// The clients that must not show it.
  let clients: [Client]
  /// The clients it should reach; if it reached none of them, its absence is not judged.
  /// `nil` for a text that should reach nobody (a subscriber's line).
  let recipients: [Client]?

  init(_ text: String, on clients: [Client], ifDeliveredTo recipients: [Client]? = nil) {
    self.text = text
    self.clients = clients
    self.recipients = recipients
  }
}

extension Duration {
  /// The duration in seconds, for Foundation's APIs.
  var timeInterval: TimeInterval {
    let (seconds, attoseconds) = components
    return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
  }
}
