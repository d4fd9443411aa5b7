#if canImport(Glibc)
  import Glibc
#endif

/// What can go wrong on a socket, in terms a caller can act on.
///
/// `errno` is captured at the moment of failure (it is only meaningful right after a call
/// returned -1) so that the error still describes the failure after other calls have run.
public enum SocketError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A system call failed; `operation` names it (`"bind"`, `"connect"`, ...).
  case failed(operation: String, errno: Int32)
  /// The peer closed the stream or reset the connection (`recv` returned 0, `EPIPE`,
  /// `ECONNRESET`). Not a bug: peers leave.
  case disconnected
  /// A send or receive timeout set with `SO_SNDTIMEO` / `SO_RCVTIMEO` expired.
  case timedOut
  /// This side closed the socket (for example a listener stopped while `accept` waited).
  case closed
  /// `getaddrinfo` could not resolve `host`; `reason` is its own message.
  case unresolvable(host: String, reason: String)

  /// The error's `errno`, when it came from a failed system call.
  public var errno: Int32? {
    if case .failed(_, let code) = self { return code }
    return nil
  }

  /// Whether this is `bind` failing because another socket holds the port.
  public var isAddressInUse: Bool { self.errno == EADDRINUSE }

  public var description: String {
    switch self {
    case .failed(let operation, let code):
      return "\(operation) failed: \(String(cString: strerror(code)))"
    case .disconnected:
      return "connection closed by peer"
    case .timedOut:
      return "timed out"
    case .closed:
      return "socket closed"
    case .unresolvable(let host, let reason):
      return "cannot resolve host '\(host)': \(reason)"
    }
  }
}
