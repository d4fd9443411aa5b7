// pubsub-bench: measures publish/subscribe brokers (this workbook's and nats-server).
// Parses the arguments, runs `Benchmark` and writes the tables, JSON, chart and Markdown.

import BenchmarkKit
import Foundation
import Task1Echo

let program = CommandLineProgram(name: "pubsub-bench", usage: BenchmarkOptions.usage)
let options: BenchmarkOptions
do {
  options = try BenchmarkOptions.parse(program.arguments())
} catch {
  program.exitWithUsageError(error.description)
}

ignoreBrokenPipeSignal()
// Each subscriber, publisher and idle client is a descriptor, plus a few for epoll and files.
let descriptorsNeeded =
  (options.workloads.map { $0.workload.subscribers + $0.workload.publishers }.max() ?? 0)
  + (options.idleClients ?? 0) + 64
let descriptorLimit = Machine.raiseDescriptorLimit()
if descriptorLimit < descriptorsNeeded {
  program.exit(
    failing: "needs \(descriptorsNeeded) open files but the limit is \(descriptorLimit); "
      + "raise it with 'ulimit -n \(descriptorsNeeded)'")
}

let report = Benchmark(options: options).run { Console.standardError.writeLine($0) }

if options.printsJSON {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  let json = (try? encoder.encode(report)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  Console.standardOutput.writeLine(json)
} else {
  Console.standardOutput.writeLine(report.plainText)
}
for (path, contents) in [
  (options.chartPath, report.chart), (options.markdownPath, report.markdown),
] {
  guard let path else { continue }
  do {
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
  } catch {
    program.exit(failing: "cannot write \(path): \(error.localizedDescription)")
  }
}
program.exit(report.hasFailures ? ExitStatus.failure.rawValue : ExitStatus.success.rawValue)
