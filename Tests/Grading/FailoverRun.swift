import Foundation

/// This project's Task 4 run: the failover prototype driven through its executables,
/// `task4-broker` and `task4-client`, as a student drives it from its README.
///
/// One run, in order, like the scenarios of Tasks 1 to 3: a primary and a backup start; a
/// subscriber and a publisher join; a stream of numbered messages flows; the primary is killed
/// with `SIGKILL` in the middle of it; the stream must arrive whole; then the old primary is
/// restarted and must come back as a backup that refuses publishers. Each program runs under a
/// pseudo-terminal in a process group of its own (`TerminalProcess`), every wait has a
/// deadline, and a check whose prerequisite failed is not judged rather than failed, so one
/// fault costs only the checks it breaks.
final class FailoverRun {
  /// The stream: messages typed while the primary is alive and judged by 4.2.
  static let throughPrimary = 1...10
  /// Typed at once and followed at once by the kill, so they may be anywhere on their way:
  /// unread, sent, copied to the backup, acknowledged or delivered.
  static let atTheCrash = 11...20
  /// Typed right after the kill, while the clients fail over.
  static let afterTheCrash = 21...30
  /// The topic of the stream.
  static let topic = "news"

  /// The text of message `number`, unique in the run and never a prefix of another's.
  static func message(_ number: Int) -> String {
    "stream message \(number) of \(afterTheCrash.upperBound)"
  }

  /// The numbers of the stream's messages in `output`, in the order they were shown.
  static func streamNumbers(in output: String) -> [Int] {
    let marker = "stream message "
    return output.split(separator: "\n").compactMap { line in
      guard let range = line.range(of: marker) else { return nil }
      return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
  }

  /// `numbers` as runs such as "1-14, 13-30", in which a gap, a repeat or a reordering shows.
  static func describe(_ numbers: [Int]) -> String {
    guard var start = numbers.first else { return "none" }
    var runs: [String] = []
    var end = start
    for number in numbers.dropFirst() {
      if number == end + 1 {
        end = number
        continue
      }
      runs.append(start == end ? "\(start)" : "\(start)-\(end)")
      (start, end) = (number, number)
    }
    runs.append(start == end ? "\(start)" : "\(start)-\(end)")
    return runs.joined(separator: ", ")
  }

  /// A broker of the run and the port it listens on.
  private struct Node {
    let process: TerminalProcess
    let port: UInt16

    /// The address clients are given.
    var address: String { "127.0.0.1:\(port)" }
  }

  /// How long to wait for each step.
  let pacing: Pacing
  private let productsDirectory: String
  private let progress: ProgressHandler
  private let definitions: [CheckDefinition]
  private var outcomes: [String: CheckOutcome] = [:]
  private var processes: [TerminalProcess] = []
  /// Why the remaining checks could not run, once something they all need failed.
  private var abortReason: String?
  /// Set when the grader, not the prototype, may be at fault.
  private var graderProblem: String?

  /// Prepares a run of the programs in `productsDirectory` that judges `definitions`: the
  /// four prototype checks, in order, and any the caller records itself.
  init(
    productsDirectory: String, definitions: [CheckDefinition], pacing: Pacing,
    progress: @escaping ProgressHandler
  ) {
    self.productsDirectory = productsDirectory
    self.definitions = definitions
    self.pacing = pacing
    self.progress = progress
  }

  deinit {
    stopAll()
  }

  // MARK: - The run

  /// Runs the prototype's checks (4.1 to 4.4), recording each outcome as it is judged.
  func run() {
    // 4.1: the first broker takes the primary role, the second joins it as backup.
    guard let primary = startBroker("primary", arguments: ["--start-as", "primary"]) else {
      return
    }
    let primaryRole = waitForAny(
      ["PRIMARY in epoch 1"], on: primary.process, before: Deadline(after: pacing.startupTime))
    guard primaryRole != nil else {
      record(
        Task4Checks.pairStarts,
        .failed(
          expected: "the primary to show 'PRIMARY in epoch 1' within \(pacing.startupTime)",
          seen: Self.describe(primary.process)))
      return abort("the first broker never took the primary role")
    }
    guard let backup = startBroker("backup", arguments: ["--peer", primary.address]) else {
      return
    }
    let backupRole = waitForAny(
      ["BACKUP of", "PRIMARY in"], on: backup.process, before: Deadline(after: pacing.startupTime))
    guard backupRole == "BACKUP of" else {
      record(
        Task4Checks.pairStarts,
        .failed(
          expected: "the second broker to show 'BACKUP of' (it joined the primary) within "
            + "\(pacing.startupTime)",
          seen: Self.describe(backup.process)))
      return abort("the second broker never joined the primary as backup")
    }
    record(Task4Checks.pairStarts, .passed)

    // 4.2: a subscriber and a publisher, each given both addresses, join the primary, and the
    // first messages reach the subscriber.
    let addresses = "\(primary.address),\(backup.address)"
    guard
      let subscriber = startClient("subscriber", [addresses, "SUBSCRIBER", Self.topic]),
      let publisher = startClient(
        "publisher", [addresses, "PUBLISHER", Self.topic, "--name", "alice"])
    else { return }
    for number in Self.throughPrimary { publisher.type(Self.message(number)) }
    let flowing = judgeFirstMessages(
      subscriber: subscriber, publisher: publisher, primary: primary)
    record(Task4Checks.deliversThroughPrimary, flowing)

    // 4.3: the primary is killed mid-stream; every message must still arrive exactly once.
    for number in Self.atTheCrash { publisher.type(Self.message(number)) }
    report("killing the primary mid-stream: SIGKILL to its process group (kill -9)")
    primary.process.stop()
    for number in Self.afterTheCrash { publisher.type(Self.message(number)) }
    record(
      Task4Checks.survivesPrimaryCrash,
      flowing.isPassed
        ? judgeStream(on: subscriber)
        : .notJudged(
          reason: "the messages did not flow through the primary (4.2), so whether its crash "
            + "loses or repeats any cannot be judged"))

    // 4.4: the old primary, restarted on its port with the survivor as its peer, comes back
    // as backup.
    guard
      let restarted = startBroker(
        "restarted old primary", port: primary.port,
        arguments: ["--peer", backup.address, "--start-as", "primary"])
    else { return }
    let restartedRole = waitForAny(
      ["BACKUP of", "PRIMARY in"], on: restarted.process,
      before: Deadline(after: pacing.startupTime))
    guard
      let latecomer = startClient(
        "publisher of the restarted node",
        [restarted.address, "PUBLISHER", Self.topic, "--name", "latecomer"],
        until: ["\(restarted.address): not primary", "joined "])
    else { return }
    record(
      Task4Checks.oldPrimaryReturnsAsBackup,
      judgeReturn(of: restarted, role: restartedRole, latecomer: latecomer))
  }

  // MARK: - Judging

  /// 4.2: both clients were served by the primary, and messages 1 to 10 reached the
  /// subscriber within the delivery time.
  private func judgeFirstMessages(
    subscriber: TerminalProcess, publisher: TerminalProcess, primary: Node
  ) -> CheckOutcome {
    let range = Self.throughPrimary
    _ = subscriber.waitForOutput(
      containing: Self.message(range.upperBound), before: Deadline(after: pacing.deliveryTime))
    var seen: [String] = []
    for client in [subscriber, publisher]
    where !client.output.contains("joined \(primary.address) ") {
      seen.append("the \(client.label) was not served by the primary: \(Self.describe(client))")
    }
    let shown = Self.streamNumbers(in: subscriber.output)
    if !Set(range).isSubset(of: shown) {
      seen.append(
        "the subscriber showed messages \(Self.describe(shown)); its last lines: "
          + subscriber.lastLines())
    }
    if seen.isEmpty { return .passed }
    return .failed(
      expected: "both clients to join \(primary.address) (the primary) and messages "
        + "\(range.lowerBound) to \(range.upperBound) to appear on the subscriber within "
        + "\(pacing.deliveryTime)",
      seen: seen.joined(separator: "; "))
  }

  /// 4.3: the subscriber showed every message of the stream exactly once, in order, judged
  /// once the last has arrived and a quiet period has passed in which a late repeat would
  /// have shown.
  private func judgeStream(on subscriber: TerminalProcess) -> CheckOutcome {
    _ = subscriber.waitForOutput(
      containing: Self.message(Self.afterTheCrash.upperBound),
      before: Deadline(after: pacing.deliveryTime))
    Thread.sleep(forTimeInterval: pacing.quietTime.timeInterval)
    let numbers = Self.streamNumbers(in: subscriber.output)
    let expected = Array(Self.throughPrimary.lowerBound...Self.afterTheCrash.upperBound)
    if numbers == expected { return .passed }
    return .failed(
      expected: "messages \(Self.describe(expected)), each exactly once and in order, on the "
        + "subscriber within \(pacing.deliveryTime) of the last one typed",
      seen: "the subscriber showed messages \(Self.describe(numbers)); its last lines: "
        + subscriber.lastLines())
  }

  /// 4.4: the restarted node took the backup role, never the primary's, and refused a
  /// publisher that came to it.
  private func judgeReturn(of restarted: Node, role: String?, latecomer: TerminalProcess)
    -> CheckOutcome
  {
    var seen: [String] = []
    if role != "BACKUP of" || restarted.process.output.contains("PRIMARY in") {
      seen.append("the restarted node: \(Self.describe(restarted.process))")
    }
    if !latecomer.output.contains("\(restarted.address): not primary")
      || latecomer.output.contains("joined ")
    {
      seen.append("its publisher: \(Self.describe(latecomer))")
    }
    if seen.isEmpty { return .passed }
    return .failed(
      expected: "the restarted node to show 'BACKUP of' within \(pacing.startupTime) and never "
        + "'PRIMARY in', and a publisher given only its address to be refused ('not primary')",
      seen: seen.joined(separator: "; "))
  }

  // MARK: - Results

  /// Records the outcome of `check` and reports it as progress.
  func record(_ check: CheckDefinition, _ outcome: CheckOutcome) {
    outcomes[check.identifier] = outcome
    let verdict: String
    switch outcome {
    case .passed: verdict = "pass"
    case .failed: verdict = "FAIL"
    case .notJudged: verdict = "not judged"
    }
    let awarded = outcome.isPassed ? check.marks : 0
    report("\(verdict) \(check.identifier) \(check.title) (\(awarded)/\(check.marks))")
  }

  /// The task's result: every definition with its recorded outcome, in order.
  func result(title: String) -> TaskResult {
    let checks = definitions.map { definition in
      CheckResult(
        definition,
        outcomes[definition.identifier]
          ?? .notJudged(reason: abortReason ?? "not run: the grader stopped before this check"))
    }
    return TaskResult(task: 4, title: title, checks: checks, graderProblem: graderProblem)
  }

  /// Kills every program of the run.
  func stopAll() {
    for process in processes.reversed() { process.stop() }
    processes.removeAll()
  }

  private func report(_ message: String) {
    progress("task 4: \(message)")
  }

  /// Stops the run: every check not yet recorded is not judged, for `reason`.
  private func abort(_ reason: String) {
    abortReason = reason
    report("stopping: \(reason)")
  }

  // MARK: - Programs

  /// Starts `task4-broker` on `port` (or a free one) with `arguments`, and waits until it
  /// listens or exits.
  ///
  /// A broker that exits because its port is in use is started again on another free port,
  /// twice at most: something else took the port, which is not the prototype's fault.
  ///
  /// - Returns: The node, whether or not it started well (the caller judges its output), or
  ///   `nil` if the grader could not start it at all, having aborted the run.
  private func startBroker(_ label: String, port: UInt16? = nil, arguments: [String]) -> Node? {
    var port = port ?? PortPicker.shared.freePort()
    for attempt in 1...3 {
      guard let process = launch(label, "task4-broker", [String(port)] + arguments) else {
        return nil
      }
      let listening = waitForAny(
        ["listening on port"], on: process, before: Deadline(after: pacing.startupTime))
      if listening == nil && process.output.contains("already in use") && attempt < 3 {
        report("port \(port) was taken in the meantime; trying another")
        port = PortPicker.shared.freePort()
        continue
      }
      return Node(process: process, port: port)
    }
    noteGraderProblem("three free ports in a row were reported in use")
    abort("no port could be used")
    return nil
  }

  /// Starts `task4-client` with `arguments` and waits (up to the startup time) until it shows
  /// one of `texts`: by default, that a broker accepted it.
  ///
  /// - Returns: The client, whether or not it was accepted (the checks judge its output), or
  ///   `nil` if the grader could not start it at all, having aborted the run.
  private func startClient(
    _ label: String, _ arguments: [String], until texts: [String] = ["joined "]
  ) -> TerminalProcess? {
    guard let process = launch(label, "task4-client", arguments) else { return nil }
    if waitForAny(texts, on: process, before: Deadline(after: pacing.startupTime)) == nil {
      report("the \(label) did not show \(texts.map { "'\($0)'" }.joined(separator: " or "))")
    }
    return process
  }

  /// Starts `program` from the products directory with `arguments`.
  private func launch(_ label: String, _ program: String, _ arguments: [String])
    -> TerminalProcess?
  {
    let command = ([productsDirectory + "/" + program] + arguments).map(ShellQuoting.quote)
      .joined(separator: " ")
    report("starting the \(label): \(command)")
    do {
      let process = try TerminalProcess(command: command, label: label)
      processes.append(process)
      return process
    } catch {
      noteGraderProblem("the grader could not start a process: \(error)")
      abort("the grader could not start the \(label): \(error)")
      return nil
    }
  }

  private func noteGraderProblem(_ problem: String) {
    graderProblem = problem
  }

  /// Waits until `process` shows one of `texts`.
  ///
  /// - Returns: The first of `texts` it shows, or `nil` if it exited or `deadline` passed
  ///   first.
  private func waitForAny(
    _ texts: [String], on process: TerminalProcess, before deadline: Deadline
  ) -> String? {
    while true {
      // Whether it ran is read before the output: output written before an exit is complete
      // by the time the exit is seen.
      let wasRunning = process.isRunning
      let output = process.output
      if let shown = texts.first(where: output.contains) { return shown }
      if !wasRunning || deadline.hasPassed { return nil }
      // Wakes at once for the first text; the others are looked for every 20 ms.
      _ = process.waitForOutput(
        containing: texts[0], before: Deadline(after: .milliseconds(20)).limited(to: deadline))
    }
  }

  /// What a program was doing, for a report's "seen".
  private static func describe(_ process: TerminalProcess) -> String {
    if let status = process.exitStatus { return Scenario.describeExit(status, of: process) }
    return "its last lines: \(process.lastLines())"
  }
}
