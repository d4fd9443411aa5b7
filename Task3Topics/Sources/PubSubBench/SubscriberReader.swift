import BenchmarkKit
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A thread that reads a share of the subscriber connections, waiting on all of them at once
/// with `poll(2)`.
///
/// A thread per subscriber would put 1,000 threads on two cores in scenario F, and the
/// benchmark's own scheduling would then dominate what it measures. A few threads, each
/// asking the kernel which of its connections have data, keep the client's cost per delivery
/// low and flat however many subscribers there are. (`epoll` would avoid rescanning the list
/// on every call, but Swift's Glibc module does not export it; under load most connections
/// are ready on each call, so the scan is not wasted.)
final class SubscriberReader: @unchecked Sendable {
  /// The sessions this thread reads; touched by no other thread until `run` returns.
  let sessions: [SubscriberSession]
  /// Latencies of every first delivery this thread saw. Read after `run` returns.
  private(set) var histogram = LatencyHistogram()

  /// Creates a reader for `sessions`.
  init(sessions: [SubscriberSession]) {
    self.sessions = sessions
  }

  /// Reads until the run is finished. Wakes at least every 50 ms to notice that.
  func run(control: RunControl) {
    var watched = sessions.map { session in
      pollfd(fd: session.connection.connection.socket.descriptor, events: Int16(POLLIN), revents: 0)
    }
    var added = 0
    // Read once before waiting: the handshake may have read past its last reply (a PING, or
    // an -ERR and a close), and such bytes raise no poll event.
    for session in sessions {
      added += session.readAvailable(histogram: &histogram, control: control)
    }
    while !control.isFinished {
      if added > 0 {
        control.delivered.add(added, ordering: .sequentiallyConsistent)
        control.notifyProgress()
        added = 0
      }
      let ready = poll(&watched, nfds_t(watched.count), 50)
      if ready < 0 {
        if errno == EINTR { continue }
        control.fail("poll failed: \(String(cString: strerror(errno)))")
        return
      }
      for index in watched.indices where watched[index].revents != 0 {
        added += sessions[index].readAvailable(histogram: &histogram, control: control)
        if !sessions[index].isOpen {
          // The broker closed it and `readAvailable` reported that; a negative descriptor
          // tells poll to skip it instead of reporting the hang-up forever.
          watched[index].fd = -1
        }
      }
    }
  }
}
