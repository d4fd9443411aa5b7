import Grading
import Testing

@Suite("grade's command line")
struct GradeOptionsTests {
  @Test("no arguments grade this project, every task, with progress")
  func defaults() throws {
    let options = try GradeOptions.parse([])
    #expect(options.subject == .project)
    #expect(options.tasks == [1, 2, 3, 4])
    #expect(options.showsProgress && !options.printsJSON && options.junitPath == nil)
  }

  @Test("--task with --server and --client grades another implementation of that task")
  func commands() throws {
    let options = try GradeOptions.parse([
      "--task", "2", "--server", "python3 s.py {port}", "--client", "python3 c.py {host} {port}",
      "--directory", "/work/ada", "--json", "--junit", "out.xml", "--quiet",
    ])
    #expect(options.tasks == [2])
    #expect(
      options.subject
        == .commands(
          try TaskCommands(
            server: "python3 s.py {port}", client: "python3 c.py {host} {port}",
            directory: "/work/ada")))
    #expect(options.printsJSON && options.junitPath == "out.xml" && !options.showsProgress)
  }

  @Test("--manifest grades every task, or the one --task names")
  func manifest() throws {
    #expect(try GradeOptions.parse(["--manifest", "m.json"]).tasks == [1, 2, 3, 4])
    let one = try GradeOptions.parse(["--manifest", "m.json", "--task", "3"])
    #expect(one.subject == .manifest("m.json") && one.tasks == [3])
  }

  @Test("--document grades task 4")
  func document() throws {
    let options = try GradeOptions.parse(["--document", "ARCHITECTURE.md"])
    #expect(options.subject == .document("ARCHITECTURE.md") && options.tasks == [4])
  }

  @Test(
    "bad command lines are refused with a reason",
    arguments: [
      ["--task", "5"], ["--task"], ["--server", "s {port}"],
      ["--server", "s", "--client", "c"], ["--task", "4", "--server", "s", "--client", "c"],
      ["--manifest", "m.json", "--document", "d.md"], ["--document", "d.md", "--task", "2"],
      ["--directory", "/tmp"], ["--verbose"],
    ])
  func refusesBadLines(arguments: [String]) {
    #expect(throws: GradeUsageError.self) { try GradeOptions.parse(arguments) }
  }
}
