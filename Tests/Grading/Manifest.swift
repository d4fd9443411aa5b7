import Foundation

/// A submission described in one small JSON file, so that `grade --manifest FILE` grades all
/// its tasks in one call.
///
/// ```json
/// {
///   "name": "Ada Lovelace, pub/sub coursework",
///   "build": "javac -d out $(find src -name '*.java')",
///   "task1": { "server": "java -cp out task1.Server {port}",
///              "client": "java -cp out task1.Client {host} {port}" },
///   "task2": { "server": "python3 task2/server.py {port}",
///              "client": "python3 task2/client.py {host} {port}" },
///   "task3": { "server": "python3 task3/server.py {port}",
///              "client": "python3 task3/client.py {host} {port}" },
///   "task4": { "document": "task4/ARCHITECTURE.md" }
/// }
/// ```
///
/// Every key is optional except that a task to be graded must be there. Commands run with
/// `/bin/sh -c` in the manifest's folder, and `document` is relative to it. `build` runs once,
/// before anything is graded (10 minutes at most); if it fails, nothing is graded.
public struct Manifest: Sendable, Equatable {
  /// The submission's name, for the report.
  public let name: String?
  /// The folder the commands run in: the manifest's own.
  public let directory: String
  /// A shell command that builds the submission, if it needs building.
  public let build: String?
  /// The commands of tasks 1 to 3, by task number.
  public let commands: [Int: TaskCommands]
  /// The Task 4 document's path (absolute), if given.
  public let document: String?

  static let keys: Set = ["name", "build", "task1", "task2", "task3", "task4"]

  /// Reads the manifest at `path`.
  ///
  /// - Throws: `ManifestError` naming what is wrong, for the student to fix.
  public static func load(contentsOf path: String) throws(ManifestError) -> Manifest {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ManifestError("cannot read \(path)")
    }
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL
    return try parse(data, directory: directory.path)
  }

  /// Parses manifest JSON whose commands run in `directory`.
  public static func parse(_ data: Data, directory: String) throws(ManifestError) -> Manifest {
    guard let object = try? JSONSerialization.jsonObject(with: data),
      let fields = object as? [String: Any]
    else { throw ManifestError("it is not a JSON object ({ ... })") }
    if let unknown = fields.keys.sorted().first(where: { !keys.contains($0) }) {
      throw ManifestError(
        "unknown key \"\(unknown)\"; the keys are " + keys.sorted().joined(separator: ", "))
    }
    let name = try string(fields["name"], at: "name")
    let build = try string(fields["build"], at: "build")
    var commands: [Int: TaskCommands] = [:]
    for task in 1...3 {
      guard let entry = fields["task\(task)"] else { continue }
      let key = "task\(task)"
      guard let entry = entry as? [String: Any] else {
        throw ManifestError("\"\(key)\" must be an object with \"server\" and \"client\"")
      }
      if let unknown = entry.keys.sorted().first(where: { $0 != "server" && $0 != "client" }) {
        throw ManifestError("unknown key \"\(unknown)\" in \"\(key)\"; expected server, client")
      }
      guard let server = try string(entry["server"], at: "\(key).server"),
        let client = try string(entry["client"], at: "\(key).client")
      else { throw ManifestError("\"\(key)\" needs both \"server\" and \"client\"") }
      do {
        commands[task] = try TaskCommands(server: server, client: client, directory: directory)
      } catch {
        throw ManifestError("\"\(key)\": \(error)")
      }
    }
    var document: String?
    if let entry = fields["task4"] {
      guard let entry = entry as? [String: Any], entry.keys.sorted() == ["document"],
        let path = try string(entry["document"], at: "task4.document")
      else { throw ManifestError("\"task4\" must be { \"document\": \"PATH\" }") }
      document = path.hasPrefix("/") ? path : directory + "/" + path
    }
    return Manifest(
      name: name, directory: directory, build: build, commands: commands, document: document)
  }

  private static func string(_ value: Any?, at key: String) throws(ManifestError) -> String? {
    guard let value else { return nil }
    guard let text = value as? String else { throw ManifestError("\"\(key)\" must be a string") }
    return text
  }
}

/// A manifest that cannot be used, and why.
public struct ManifestError: Error, Equatable, Sendable, CustomStringConvertible {
  /// What is wrong, in a sentence.
  public let message: String

  init(_ message: String) {
    self.message = message
  }

  public var description: String { "bad manifest: \(message)" }
}
