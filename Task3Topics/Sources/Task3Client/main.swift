// task3-client: a publisher or subscriber for the topic broker.
// Parses the arguments, connects, says hello, subscribes, and hands over to
// `InteractiveClient`.

import Task1Echo
import Task2Roles
import Task3Topics

let program = CommandLineProgram(
  name: "task3-client",
  usage: """
    usage: task3-client HOST PORT PUBLISHER|SUBSCRIBER TOPIC[,TOPIC...] [--name NAME] [--token TOKEN]
      A PUBLISHER publishes each typed line on each of its topics; a SUBSCRIBER shows the
      messages of its topics (wildcards: * one token, > the rest, e.g. sports.>). Commands:
      /help. 'terminate' quits.
    """)

var arguments = program.arguments()
let name = program.takeOption("--name", from: &arguments)
let token = program.takeOption("--token", from: &arguments)
if let unknown = arguments.first(where: { $0.hasPrefix("--") }) {
  program.exitWithUsageError("unknown option '\(unknown)'")
}
guard arguments.count == 4 else {
  program.exitWithUsageError(
    arguments.count < 4
      ? "missing \(["HOST", "PORT", "role", "topic"][arguments.count])" : "too many arguments")
}
let host = arguments[0]
let port = program.port(from: arguments[1])
guard let role = Role(parsing: arguments[2]) else {
  program.exitWithUsageError("unknown role '\(arguments[2])': expected PUBLISHER or SUBSCRIBER")
}
let topics = arguments[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
for topic in topics {
  let problem =
    role == .subscriber ? Topic.validateFilter(topic) : Topic.validateName(Array(topic.utf8))
  if let problem { program.exitWithUsageError("invalid topic '\(topic)': \(problem)") }
}
if let name, !BrokerHello.isValidName(name) {
  program.exitWithUsageError("invalid name '\(name)': use 1-32 letters, digits, '_', '-' or '.'")
}

ignoreBrokenPipeSignal()
let connection: Connection
do {
  connection = try Connection.connect(host: host, port: port)
  var opening = [BrokerHello(role: role, name: name, token: token).line]
  if role == .subscriber { opening += topics.map { "SUB \($0)" } }
  try connection.sendAll(opening.map { $0 + "\n" }.joined())
} catch {
  program.exit(failing: "cannot connect to \(host) port \(port): \(error)")
}

let output = Console.standardOutput
output.writeLine(
  "connected to \(connection.peer) as \(role) on \(topics.joined(separator: ", ")); /help lists commands, 'terminate' quits"
)
let translator = TypedLineTranslator(role: role, topics: topics)
let formatter = BrokerLineFormatter()
let outcome = JoinOutcome()
let client = InteractiveClient(
  connection: connection, programName: program.name,
  endOfInput: role == .publisher ? .finish : .keepListening,
  translate: { typed in
    switch translator.translate(typed) {
    case .send(let lines): return lines
    case .show(let text):
      output.writeLine(text)
      return []
    }
  },
  automaticReply: { $0 == "PING" ? "PONG" : nil }
) { line in
  outcome.observe(line)
  let (text, destination) = formatter.format(line, time: ActivityLog.timestamp())
  (destination == .output ? output : Console.standardError).writeLine(text)
}
let status = client.run { readLine(strippingNewline: true) }
program.exit(outcome.wasRefused ? ExitStatus.failure.rawValue : status.rawValue)
