/// Replaces what changes from run to run in a transcript with stable stand-ins, so that a
/// transcript only changes when the programs' behaviour does.
///
/// - Timestamps `[HH:MM:SS.mmm]` become `[12:00:00.000]`.
/// - Scenarios run servers on free ports; each server's real port becomes the port a student
///   uses: 5000 for the first server of a scenario, 5001 for the second, and so on.
/// - Clients' ephemeral ports in `127.0.0.1:NNNNN` become 50001, 50002, ... in order of first
///   appearance across the scenario's transcripts, so one client keeps one number throughout.
/// - The IPv6 loopback `[::1]` becomes `127.0.0.1`: which of the two `localhost` means depends
///   on the machine's resolver, not on the workbook.
///
/// One normalizer serves one scenario run.
struct TranscriptNormalizer {
  /// The port shown for the first server; later servers count up from it.
  static let firstServerPort = 5000
  /// The port shown for the first client; later clients count up from it.
  static let firstClientPort = 50001

  /// Real server port -> shown port.
  private var serverPorts: [Substring: Substring] = [:]
  /// Real client port -> shown port.
  private var clientPorts: [Substring: String] = [:]

  /// Records a server's real port; returns the port transcripts show for it.
  @discardableResult
  mutating func registerServer(port: UInt16) -> String {
    let shown = String(Self.firstServerPort + serverPorts.count)
    serverPorts[Substring(String(port))] = Substring(shown)
    return shown
  }

  /// Returns `text` with every run-specific detail replaced.
  mutating func normalize(_ text: String) -> String {
    var text = text.replacing(/\[\d{2}:\d{2}:\d{2}\.\d{3}\]/, with: "[12:00:00.000]")
    text = text.replacing("[::1]:", with: "127.0.0.1:")
    let serverPorts = self.serverPorts
    text = text.replacing(/\d+/) { match in serverPorts[match.output] ?? match.output }
    let shownServerPorts = Set(serverPorts.values)
    text = text.replacing(/127\.0\.0\.1:(\d+)/) { match in
      let port = match.output.1
      if shownServerPorts.contains(port) { return match.output.0 }
      return "127.0.0.1:" + clientPlaceholder(for: port)
    }
    return text
  }

  private mutating func clientPlaceholder(for port: Substring) -> String {
    if let shown = clientPorts[port] { return shown }
    let shown = String(Self.firstClientPort + clientPorts.count)
    clientPorts[port] = shown
    return shown
  }
}
