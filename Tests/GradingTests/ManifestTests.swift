import Foundation
import Grading
import Testing

@Suite("Manifests")
struct ManifestTests {
  private func parse(_ json: String) throws(ManifestError) -> Manifest {
    try Manifest.parse(Data(json.utf8), directory: "/submissions/ada")
  }

  @Test("a full manifest gives each task's commands, run in the manifest's folder")
  func fullManifest() throws {
    let manifest = try parse(
      """
      {
        "name": "Ada",
        "build": "make",
        "task1": { "server": "./s1 {port}", "client": "./c1 {host} {port}" },
        "task3": { "server": "java Server", "client": "java Client" },
        "task4": { "document": "docs/ARCHITECTURE.md" }
      }
      """)
    #expect(manifest.name == "Ada")
    #expect(manifest.build == "make")
    #expect(manifest.directory == "/submissions/ada")
    #expect(manifest.commands.keys.sorted() == [1, 3])
    #expect(manifest.commands[1]?.serverCommand(port: 20000) == "./s1 20000")
    #expect(manifest.commands[1]?.directory == "/submissions/ada")
    #expect(
      manifest.commands[3]?.clientCommand(host: "127.0.0.1", port: 20000, arguments: ["X"])
        == "java Client 127.0.0.1 20000 X")
    #expect(manifest.document == "/submissions/ada/docs/ARCHITECTURE.md")
  }

  @Test(
    "mistakes are named",
    arguments: [
      ("[]", "not a JSON object"),
      (#"{ "task_1": {} }"#, #"unknown key "task_1""#),
      (#"{ "task2": { "server": "s {port}" } }"#, #""task2" needs both"#),
      (#"{ "task2": { "server": "s", "client": "c", "role": "x" } }"#, #"unknown key "role""#),
      (#"{ "task2": "python3 server.py" }"#, "must be an object"),
      (#"{ "task1": { "server": "s {port}", "client": "c {host}" } }"#, "has no {port}"),
      (#"{ "build": 3 }"#, #""build" must be a string"#),
      (#"{ "task4": "doc.md" }"#, #""task4" must be { "document""#),
    ])
  func namesMistakes(json: String, message: String) {
    #expect {
      try parse(json)
    } throws: { error in
      (error as? ManifestError)?.description.contains(message) == true
    }
  }

  @Test("every sample manifest loads")
  func sampleManifestsLoad() throws {
    for name in SampleSubmissionTests.samples.map(\.name) {
      let manifest = try Manifest.load(contentsOf: Fixtures.sampleManifest(name))
      #expect(manifest.commands.keys.sorted() == [1, 2, 3], "\(name)")
      #expect(manifest.document != nil, "\(name)")
    }
  }

  @Test("a missing file is reported")
  func missingFile() {
    #expect(throws: ManifestError.self) {
      try Manifest.load(contentsOf: "/nonexistent/grade.json")
    }
  }
}
