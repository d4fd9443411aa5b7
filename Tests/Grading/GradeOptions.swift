/// The `grade` command's options, parsed and checked.
public struct GradeOptions: Sendable, Equatable {
  /// What to grade.
  public enum Subject: Sendable, Equatable {
    /// This project's own executables, next to the `grade` program.
    case project
    /// Another implementation of one task, from its commands.
    case commands(TaskCommands)
    /// A Task 4 document.
    case document(String)
    /// The submission a manifest file describes.
    case manifest(String)
  }

  /// What to grade.
  public var subject: Subject = .project
  /// The tasks to grade, in order.
  public var tasks: [Int] = [1, 2, 3, 4]
  /// Whether to print JSON instead of the marks table.
  public var printsJSON = false
  /// Where to write JUnit XML, if anywhere.
  public var junitPath: String?
  /// Whether to print progress lines on standard error.
  public var showsProgress = true
  /// Whether `--help` was asked for.
  public var showsHelp = false

  /// The usage text.
  public static let usage = """
    usage: grade [--task N] [--server CMD --client CMD [--directory DIR]]
                 [--manifest FILE] [--document PATH] [--json] [--junit FILE] [--quiet]
      Runs the graded checks and prints a marks table (Task 1 /20, Task 2 /30, Task 3 /40,
      Task 4 /10). With no options it grades this project's own executables, found next to
      this program.

      --task N          grade task N only (1 to 4)
      --server CMD      the server command of another implementation of task N (1 to 3),
                        with {port} where the port goes, e.g. 'python3 task2/server.py {port}'
      --client CMD      its client command, with {host} and {port}; the grader appends the
                        role (tasks 2 and 3) and the topics (task 3)
      --directory DIR   run those commands in DIR
      --manifest FILE   grade tasks 1 to 4 of the submission FILE describes (see Tests/README.md)
      --document PATH   grade a Task 4 document (a file or a folder)
      --json            print the report as JSON instead of the table
      --junit FILE      also write the report as JUnit XML to FILE
      --quiet           no progress lines on standard error
      -h, --help        show this text
    Exit status: 0 when every automatic check passed, 1 when marks were lost, 2 for bad usage.
    """

  /// Creates the default options: grade this project, every task.
  public init() {}

  /// Parses the arguments after the program's name.
  ///
  /// - Throws: `GradeUsageError` with a message for the user.
  public static func parse(_ arguments: [String]) throws(GradeUsageError) -> GradeOptions {
    var options = GradeOptions()
    var task: Int?
    var server: String?
    var client: String?
    var directory: String?
    var document: String?
    var manifest: String?
    var remaining = arguments[...]
    func value(for option: String) throws(GradeUsageError) -> String {
      guard let value = remaining.popFirst() else {
        throw GradeUsageError("\(option) needs a value")
      }
      return value
    }
    while let argument = remaining.popFirst() {
      switch argument {
      case "--task":
        let text = try value(for: argument)
        guard let number = Int(text), (1...4).contains(number) else {
          throw GradeUsageError("--task must be 1, 2, 3 or 4, not '\(text)'")
        }
        task = number
      case "--server": server = try value(for: argument)
      case "--client": client = try value(for: argument)
      case "--directory": directory = try value(for: argument)
      case "--document": document = try value(for: argument)
      case "--manifest": manifest = try value(for: argument)
      case "--junit": options.junitPath = try value(for: argument)
      case "--json": options.printsJSON = true
      case "--quiet": options.showsProgress = false
      case "--help", "-h": options.showsHelp = true
      default: throw GradeUsageError("unknown argument '\(argument)'")
      }
    }
    let sources = [server ?? client, document, manifest].compactMap { $0 }.count
    guard sources <= 1 else {
      throw GradeUsageError("give only one of --server/--client, --document and --manifest")
    }
    if directory != nil && server == nil {
      throw GradeUsageError("--directory goes with --server and --client")
    }
    if let task { options.tasks = [task] }
    if server != nil || client != nil {
      guard let server, let client else {
        throw GradeUsageError("--server and --client go together")
      }
      guard let task, task <= 3 else {
        throw GradeUsageError("--server and --client need --task 1, 2 or 3")
      }
      do {
        options.subject = .commands(
          try TaskCommands(server: server, client: client, directory: directory))
      } catch {
        throw GradeUsageError("\(error)")
      }
      options.tasks = [task]
    } else if let document {
      guard task == nil || task == 4 else { throw GradeUsageError("--document is for task 4") }
      options.subject = .document(document)
      options.tasks = [4]
    } else if let manifest {
      options.subject = .manifest(manifest)
    }
    return options
  }
}

/// A `grade` command line that cannot be used.
public struct GradeUsageError: Error, Equatable, Sendable, CustomStringConvertible {
  /// What is wrong.
  public let message: String

  init(_ message: String) {
    self.message = message
  }

  public var description: String { message }
}
