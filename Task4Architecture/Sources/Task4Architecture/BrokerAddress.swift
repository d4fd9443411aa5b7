import Task3Topics

/// Where a broker listens: `HOST:PORT`, or `[IPv6]:PORT`.
public struct BrokerAddress: Equatable, Hashable, Sendable, CustomStringConvertible {
  /// The host name or address.
  public var host: String
  /// The TCP port.
  public var port: UInt16

  /// Creates an address.
  public init(host: String, port: UInt16) {
    self.host = host
    self.port = port
  }

  /// Parses `HOST:PORT` or `[IPv6]:PORT`.
  ///
  /// - Throws: `ProtocolError` saying what is wrong.
  public init(parsing text: some StringProtocol) throws(ProtocolError) {
    let text = String(text)
    guard let colon = text.lastIndex(of: ":") else {
      throw ProtocolError("'\(text)' is not HOST:PORT")
    }
    var host = text[..<colon]
    if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
    guard !host.isEmpty, !host.contains(":") || text.hasPrefix("[") else {
      throw ProtocolError("'\(text)' is not HOST:PORT (write an IPv6 address as [ADDRESS]:PORT)")
    }
    guard let port = UInt16(text[text.index(after: colon)...]), port != 0 else {
      throw ProtocolError("'\(text)' has no valid port (1-65535)")
    }
    self.init(host: String(host), port: port)
  }

  /// Parses a comma-separated list, `HOST:PORT[,HOST:PORT...]`, keeping its order.
  ///
  /// - Throws: `ProtocolError` for an empty list, a bad address or one listed twice.
  public static func parseList(_ text: String) throws(ProtocolError) -> [BrokerAddress] {
    var addresses: [BrokerAddress] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let address = try BrokerAddress(parsing: part)
      guard !addresses.contains(address) else { throw ProtocolError("\(address) is listed twice") }
      addresses.append(address)
    }
    guard !addresses.isEmpty else { throw ProtocolError("no broker addresses given") }
    return addresses
  }

  public var description: String {
    host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
  }
}
