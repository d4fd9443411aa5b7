/// Task 1, 20 marks: a server that shows what a client types; `terminate` ends the client.
///
/// The contract: `server PORT` listens on PORT; `client HOST PORT` connects, sends every
/// line typed, and exits when `terminate` is typed. The course's Task 1 server serves one
/// client at a time, so the second client starts only after the first has gone.
public enum Task1Checks {
  /// The task's name in reports.
  public static let title = "Task 1: client and server"

  static let listens = CheckDefinition(
    "1.1", "listens on the given port", marks: 3,
    verifies: "The server, started with a free port other than 5000 as its argument, listens "
      + "on that port within 10 s.")
  static let typedTextShown = CheckDefinition(
    "1.2", "typed text appears on the server", marks: 6,
    verifies: "Two lines typed into a connected client both appear in the server's output.")
  static let terminateEndsClient = CheckDefinition(
    "1.3", "terminate ends the client", marks: 4,
    verifies: "Typing 'terminate' into the client ends it within 5 s.")
  static let terminateExitStatus = CheckDefinition(
    "1.4", "the client exits with status 0", marks: 2,
    verifies: "The client ended by 'terminate' exits with status 0 (not an error, not a crash).")
  static let servesLaterClient = CheckDefinition(
    "1.5", "serves a later client", marks: 5,
    verifies: "After the first client has gone, a second client connects and the line typed "
      + "into it appears in the server's output: the server keeps running between clients.")

  /// The checks, in the order they run.
  public static let definitions = [
    listens, typedTextShown, terminateEndsClient, terminateExitStatus, servesLaterClient,
  ]

  static let firstLine = "hello server this is line one"
  static let secondLine = "and this is line two"
  static let laterLine = "a later client says hi"

  static func run(_ scenario: Scenario) {
    let listening = scenario.startServer()
    scenario.record(listens, listening)
    guard listening.isPassed else { return }

    let first = scenario.startClient("client 1")
    first.type(firstLine)
    first.type(secondLine)
    let deadline = Deadline(after: scenario.pacing.deliveryTime)
    scenario.record(
      typedTextShown, scenario.shownOnServer([firstLine, secondLine], before: deadline))

    let (ended, statuses) = scenario.terminate([first])
    scenario.record(terminateEndsClient, ended)
    if let status = statuses.first {
      scenario.record(
        terminateExitStatus,
        status == 0
          ? .passed
          : .failed(
            expected: "exit status 0 after 'terminate'",
            seen: "client 1: " + first.describe()))
    } else {
      scenario.record(
        terminateExitStatus,
        .notJudged(reason: "the client did not exit, so its exit status is unknown (see 1.3)"))
    }
    // A client that ignored `terminate` must not keep a single-client server busy.
    first.process?.stop()

    let later = scenario.startClient("client 2")
    later.type(laterLine)
    scenario.record(
      servesLaterClient,
      scenario.shownOnServer([laterLine], before: Deadline(after: scenario.pacing.deliveryTime)))
  }
}
