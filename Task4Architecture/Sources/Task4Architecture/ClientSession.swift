import Foundation
import Task1Echo
import Task2Roles
import Task3Topics

extension ReplicatedBroker {
  /// Serves one client connection, on its own thread, from hello to goodbye.
  func serveClient(_ reader: LineReader, hello: String, number: Int) {
    var reader = reader
    let connection = reader.connection
    let outbox = Outbox(connection: connection, limits: configuration.outboxLimits)
    outbox.start()
    var session = ClientSession(
      server: self, connection: connection, outbox: outbox, number: number)
    session.hello(Array(hello.utf8)[...])
    reading: while session.isOpen {
      do {
        while session.isOpen, let line = try reader.nextLine() { session.handle(line) }
      } catch {
        session.end(farewell: "-ERR \(error); closing", reason: "\(error)")
        break
      }
      session.flush()
      guard session.isOpen else { break }
      do {
        if try !reader.receive() { break reading }
      } catch {
        session.end(farewell: nil, reason: "connection lost: \(error)")
      }
    }
    session.finish()
  }
}

/// One client connection's state, owned by its thread: no lock needed for anything in here.
///
/// It speaks Task 3's protocol (it parses with Task 3's `Command` and keeps names and
/// subscriptions in Task 3's `Broker`) plus Task 4's `PUBSEQ` and `ACK`. A read's worth of
/// publishes goes to `ReplicaCore` in one batch, so the lock is taken once per read.
struct ClientSession {
  let server: ReplicatedBroker
  let connection: Connection
  let outbox: Outbox
  let number: Int
  var client: BrokerClient?
  var channel: ClientChannel?
  var greeting: FailoverHello?
  var isOpen = true
  var farewell: String?
  var reason = "left"
  var batch: [PublishRequest] = []

  init(server: ReplicatedBroker, connection: Connection, outbox: Outbox, number: Int) {
    self.server = server
    self.connection = connection
    self.outbox = outbox
    self.number = number
  }

  private var log: ActivityLog { server.log }
  private var broker: Broker { server.broker }

  mutating func end(farewell: String?, reason: String) {
    self.farewell = farewell
    self.reason = reason
    isOpen = false
  }

  private func reply(_ line: String) {
    if let channel { channel.send(line) } else { outbox.enqueue(line: line) }
  }

  // MARK: - Hello

  /// Handles the first line: refuses the client unless this node is (or just became) primary.
  mutating func hello(_ line: ArraySlice<UInt8>) {
    let hello: FailoverHello
    do {
      hello = try FailoverHello(parsing: line)
    } catch {
      // The message may quote what the client sent: never echo its control characters.
      let message = error.message.escapingControlCharacters
      end(farewell: "-ERR \(message)", reason: "refused: \(message)")
      return
    }
    let admission = server.core.admitClient()
    server.announce(admission.change)
    guard admission.serve else {
      end(
        farewell: PeerMessage.refused(admission.status).line,
        reason: "refused: this node is not primary")
      return
    }
    if let name = hello.name, hello.producer != nil || hello.isDurable,
      let previous = broker.client(named: name)
    {
      // The same publisher or durable subscriber reconnecting (after a false alarm, say)
      // replaces its old connection instead of being refused its own name.
      previous.outbox.close(finalLine: "-ERR replaced: \(name) connected again")
      broker.leave(previous)
    }
    let joined: BrokerClient
    do {
      joined = try broker.join(
        hello.task3Hello, number: number, peer: connection.peer, outbox: outbox)
    } catch {
      let message = "\(error)".escapingControlCharacters
      end(farewell: "-ERR \(message)", reason: "refused: \(message)")
      return
    }
    try? connection.socket.setReceiveTimeout(nil)
    client = joined
    greeting = hello
    let channel = ClientChannel(outbox: outbox, name: joined.name)
    self.channel = channel
    server.channels.withLock { $0[number] = channel }
    switch hello.role {
    case .publisher:
      channel.send("+OK HELLO \(joined.name) epoch=\(admission.epoch)")
      let producer = hello.producer.map { " (producer \($0))" } ?? ""
      log.post("\(joined.name) joined from \(connection.peer) as PUBLISHER\(producer)")
    case .subscriber:
      for filter in hello.topics {
        do {
          try broker.subscribe(joined, to: filter)
        } catch {
          end(farewell: "-ERR \(error)", reason: "refused: \(error)")
          return
        }
      }
      // The dispatcher sends the `+OK HELLO`, so that it comes before the catch-up.
      server.core.requestFeed(
        FeedRequest(
          channel: channel, filters: hello.topics, start: hello.start,
          durableName: hello.isDurable ? joined.name : nil, wantsIndexes: hello.wantsIndexes))
      var details = hello.topics.isEmpty ? "" : " on \(hello.topics.joined(separator: ","))"
      switch hello.start {
      case .after(let index): details += ", resuming after \(index)"
      case .now: details += ", from now"
      case nil: break
      }
      if hello.isDurable { details += ", durable" }
      log.post("\(joined.name) joined from \(connection.peer) as SUBSCRIBER\(details)")
    }
  }

  // MARK: - Commands

  /// Handles one line after the hello.
  mutating func handle(_ line: ArraySlice<UInt8>) {
    guard let client else { return }
    do {
      if let command = try FailoverCommand.parse(line) {
        switch command {
        case .publish(let sequence, let topic, let text):
          guard let producer = greeting?.producer else {
            reply("-ERR PUBSEQ needs producer=<id> in the HELLO")
            return
          }
          queuePublish(
            topic: topic, text: text,
            origin: LogEntry.Origin(producer: producer, sequence: sequence), from: client)
        case .acknowledge(let index):
          guard greeting?.isDurable == true else {
            reply("-ERR ACK is for durable subscribers (durable=yes)")
            return
          }
          server.core.recordPosition(name: client.name, index: index)
        }
        return
      }
      let command = try Command(parsing: line)
      if case .publish(let topic, let text) = command {
        queuePublish(
          topic: String(decoding: topic, as: UTF8.self), text: String(lineBytes: text), origin: nil,
          from: client)
        return
      }
      flush()  // keep replies in the order the client sent the commands
      execute(command, from: client)
    } catch {
      flush()
      reply("-ERR \(error.message.escapingControlCharacters)")
    }
  }

  private mutating func queuePublish(
    topic: String, text: String, origin: LogEntry.Origin?, from client: BrokerClient
  ) {
    guard client.role == .publisher else {
      reply("-ERR subscribers cannot publish; connect as PUBLISHER")
      return
    }
    if let problem = Topic.validateName(Array(topic.utf8)) {
      reply("-ERR \(problem)")
      return
    }
    batch.append(PublishRequest(topic: topic, text: text, origin: origin))
    if server.configuration.showsMessages {
      log.post("\(client.name) -> \(topic): \(text.escapingControlCharacters)")
    }
  }

  /// Hands the read's publishes to the replicated log.
  mutating func flush() {
    guard !batch.isEmpty, let client, let channel else { return }
    let (replies, notPrimary) = server.core.publish(batch, sender: client.name, channel: channel)
    batch.removeAll(keepingCapacity: true)
    for line in replies { channel.send(line) }
    if notPrimary { end(farewell: nil, reason: "closed: this node is no longer primary") }
  }

  private mutating func execute(_ command: Command, from client: BrokerClient) {
    switch command {
    case .publish:
      break  // queued by `handle`
    case .subscribe(let filter):
      do {
        try broker.subscribe(client, to: filter)
        reply("+OK subscribed to \(filter)")
        log.post("\(client.name) subscribed to \(filter)")
        rememberFilters(of: client)
      } catch {
        reply("-ERR \(error)")
      }
    case .unsubscribe(let filter):
      do {
        try broker.unsubscribe(client, from: filter)
        reply("+OK unsubscribed from \(filter)")
        log.post("\(client.name) unsubscribed from \(filter)")
        rememberFilters(of: client)
      } catch {
        reply("-ERR \(error)")
      }
    case .direct(let name, let text):
      guard let recipient = broker.client(named: name) else {
        reply("-ERR no client named \(name)")
        return
      }
      recipient.outbox.enqueue(line: "DM \(client.name) \(text)")
      reply("+OK sent to \(name)")
    case .say(let text):
      log.post("\(client.name) says: \(text.escapingControlCharacters)")
    case .topics:
      reply(broker.topicsReply)
    case .who:
      reply(broker.whoReply)
    case .stats:
      let summary = server.core.summary
      reply(
        "+OK STATS role=\(summary.role) epoch=\(summary.epoch)"
          + " backup=\(summary.hasBackup ? "yes" : "no") clients=\(broker.clients.count)"
          + " last=\(summary.lastIndex) commit=\(summary.commitIndex)"
          + " retained=\(summary.retained) producers=\(summary.producers)"
          + " durables=\(summary.durables)")
    case .help:
      reply(
        "+OK HELP \(Command.helpText) | PUBSEQ <seq> <topic> <text> (acknowledged) | ACK <index>")
    case .ping:
      reply("PONG")
    case .pong:
      break
    case .quit:
      end(farewell: "+OK bye", reason: "sent terminate; left")
    }
  }

  /// A durable subscriber's filters changed: remember them, and copy them to the backup.
  private func rememberFilters(of client: BrokerClient) {
    guard greeting?.isDurable == true else { return }
    server.core.recordPosition(name: client.name, index: 0, filters: broker.filters(of: client))
  }

  // MARK: - Goodbye

  /// Ends the session: leaves the broker, says goodbye, shows why.
  mutating func finish() {
    flush()
    if let channel {
      server.core.removeFeed(channel)
      server.channels.withLock { $0[number] = nil }
    }
    if let client { broker.leave(client) }
    if case .slowConsumer(let limit)? = outbox.endReason {
      reason = "disconnected: slow consumer (more than \(limit) bytes queued)"
    }
    outbox.close(finalLine: farewell)
    log.post("\(client?.name ?? connection.peer.description) \(reason)")
  }
}
