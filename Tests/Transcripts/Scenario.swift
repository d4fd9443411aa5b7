import Foundation
import TestSupport

/// A scripted session with the workbook's programs whose terminals become README transcripts.
///
/// Each terminal the script opens becomes the transcript `<scenario>/<terminal>`, such as
/// `task1-basic/server`. Scripts must be deterministic: before each step (typing, Ctrl-C) they
/// wait for every line the step depends on, and every wait has a deadline, so a transcript is
/// the same on every run and a broken program fails the tool instead of hanging it.
struct Scenario: Sendable {
  /// The transcript names' first part: `task1-basic`.
  let name: String
  /// Drives the programs through a `ScenarioRun`. It must leave no program running.
  let script: @Sendable (ScenarioRun) throws -> Void

  /// Runs the script and returns the normalized transcripts by name, in the order the
  /// terminals were opened.
  ///
  /// - Throws: Whatever the script throws, or `ScenarioFailure` if a program is left running.
  func run() throws -> [(name: String, text: String)] {
    let run = ScenarioRun(scenarioName: name)
    do {
      try script(run)
    } catch {
      throw ScenarioFailure("scenario \(name) failed: \(error)")
    }
    return try run.transcripts()
  }
}

/// One run of a scenario: starts the programs, as a student would in separate terminals, and
/// turns what their terminals showed into transcripts.
final class ScenarioRun {
  /// The scenario being run.
  let scenarioName: String
  private var terminals: [Terminal] = []
  /// The real port of each server, by terminal name.
  private var serverPorts: [String: UInt16] = [:]
  private var normalizer = TranscriptNormalizer()

  init(scenarioName: String) {
    self.scenarioName = scenarioName
  }

  /// Starts the product `product` in a terminal named `name`, showing the command line as
  /// `swift run <product> <shownArguments>`.
  ///
  /// The executables are the ones built next to this tool, so they are exactly the code the
  /// tool was built from.
  func start(_ product: String, named name: String, arguments: [String], shownArguments: [String])
    throws -> Terminal
  {
    precondition(!terminals.contains { $0.name == name }, "two terminals named \(name)")
    let terminal = try Terminal(
      name: name,
      executable: RunningProgram.productsDirectory.appendingPathComponent(product),
      arguments: arguments,
      commandLine: (["swift", "run", product] + shownArguments).joined(separator: " "))
    terminals.append(terminal)
    return terminal
  }

  /// Starts a server on a free port, shown as started with no arguments (on port 5000, its
  /// default), and waits until it reports its port.
  ///
  /// Workbook servers take the port as their only argument and print
  /// `listening on port N` once they are ready.
  func startServer(_ product: String, named name: String = "server") throws -> Terminal {
    let terminal = try start(product, named: name, arguments: ["0"], shownArguments: [])
    let line = try terminal.expect("listening on port ")
    let digits = line.components(separatedBy: "listening on port ")[1].prefix { $0.isNumber }
    guard let port = UInt16(digits) else {
      throw ScenarioFailure("\(name) reported no port: \(line)")
    }
    serverPorts[name] = port
    normalizer.registerServer(port: port)
    return terminal
  }

  /// Starts a client connecting to `server` by the name `localhost`, as the README tells
  /// students to, with `extraArguments` after the host and port.
  func startClient(
    _ product: String, named name: String = "client", connectingTo server: Terminal,
    extraArguments: [String] = []
  ) throws -> Terminal {
    guard let port = serverPorts[server.name] else {
      preconditionFailure("\(server.name) was not started with startServer")
    }
    let arguments = ["localhost", String(port)] + extraArguments
    // The real port is in the command line; normalizing shows it as the server's 5000.
    return try start(product, named: name, arguments: arguments, shownArguments: arguments)
  }

  /// The transcripts, named `<scenario>/<terminal>` and normalized.
  ///
  /// - Throws: `ScenarioFailure` if a program is still running: its transcript would be
  ///   unfinished, and it would outlive the tool.
  func transcripts() throws -> [(name: String, text: String)] {
    let running = terminals.filter(\.isRunning).map(\.name)
    guard running.isEmpty else {
      throw ScenarioFailure(
        "scenario \(scenarioName) left running: \(running.joined(separator: ", "))")
    }
    return terminals.map { terminal in
      (name: "\(scenarioName)/\(terminal.name)", text: normalizer.normalize(terminal.transcript))
    }
  }
}
