/// Task 2, 30 marks: many clients at once, each a publisher or a subscriber.
///
/// The contract: `server PORT`; `client HOST PORT PUBLISHER|SUBSCRIBER`. A publisher's line
/// goes to every subscriber and to no publisher; a subscriber's line is shown on the server
/// only; the server shows every line; `terminate` ends either client.
///
/// The run: two subscribers and two publishers connect and stay connected; both publishers
/// and one subscriber type; then a publisher and a subscriber leave and a third subscriber
/// joins, and the remaining publisher types again.
public enum Task2Checks {
  /// The task's name in reports.
  public static let title = "Task 2: publishers and subscribers"

  static let listens = CheckDefinition(
    "2.1", "listens on the given port", marks: 2,
    verifies: "The server, started with a free port other than 5000 as its argument, listens "
      + "on that port within 10 s.")
  static let publisherReachesEverySubscriber = CheckDefinition(
    "2.2", "a publisher's line reaches every subscriber", marks: 7,
    verifies: "With two subscribers and two publishers connected, a line typed into "
      + "publisher 1 appears on both subscribers.")
  static let concurrentPublishers = CheckDefinition(
    "2.3", "two publishers at once", marks: 4,
    verifies: "A line typed into publisher 2, while publisher 1 is still connected, also "
      + "appears on both subscribers.")
  static let notToPublishers = CheckDefinition(
    "2.4", "no publisher receives messages", marks: 5,
    verifies: "Neither publisher shows the other publisher's line. (A client may show what "
      + "was typed into it; only the other's line counts.)")
  static let publisherTextOnServer = CheckDefinition(
    "2.5", "a publisher's line appears on the server", marks: 2,
    verifies: "Publisher 1's line appears in the server's output.")
  static let subscriberTextOnServer = CheckDefinition(
    "2.6", "a subscriber's line appears on the server", marks: 3,
    verifies: "A line typed into subscriber 1 appears in the server's output.")
  static let subscriberTextNotDelivered = CheckDefinition(
    "2.7", "a subscriber's line goes to no client", marks: 3,
    verifies: "Subscriber 1's line appears on no other client (neither subscriber 2 nor a "
      + "publisher).")
  static let terminateEndsClients = CheckDefinition(
    "2.8", "terminate ends a publisher and a subscriber", marks: 2,
    verifies: "Typing 'terminate' into publisher 2 and into subscriber 2 ends each within 5 s.")
  static let carriesOn = CheckDefinition(
    "2.9", "the server carries on", marks: 2,
    verifies: "After those two have left, a subscriber that joins later and subscriber 1 both "
      + "receive publisher 1's next line.")

  /// The checks, in the order they run.
  public static let definitions = [
    listens, publisherReachesEverySubscriber, concurrentPublishers, notToPublishers,
    publisherTextOnServer, subscriberTextOnServer, subscriberTextNotDelivered,
    terminateEndsClients, carriesOn,
  ]

  static let firstMessage = "first publisher says apples"
  static let secondMessage = "second publisher says bananas"
  static let subscriberNote = "subscriber one notes cherries"
  static let laterMessage = "first publisher again says dates"

  static func run(_ scenario: Scenario) {
    let listening = scenario.startServer()
    scenario.record(listens, listening)
    guard listening.isPassed else { return }

    // Subscriber 1 first: a server that serves one client at a time serves it, and the
    // report shows what works and what does not for that server.
    let subscriber1 = scenario.startClient("subscriber 1", ["SUBSCRIBER"])
    let subscriber2 = scenario.startClient("subscriber 2", ["SUBSCRIBER"])
    let publisher1 = scenario.startClient("publisher 1", ["PUBLISHER"])
    let publisher2 = scenario.startClient("publisher 2", ["PUBLISHER"])
    let subscribers = [subscriber1, subscriber2]
    let publishers = [publisher1, publisher2]

    let isWarm = scenario.warmUp(from: publisher1, "warm-up round", until: subscribers)
    publisher1.type(firstMessage)
    publisher2.type(secondMessage)
    subscriber1.type(subscriberNote)
    let deadline = scenario.deliveryDeadline(afterWarmUpSucceeded: isWarm)
    scenario.record(
      publisherReachesEverySubscriber,
      scenario.appearance([(firstMessage, subscribers)], before: deadline))
    scenario.record(
      concurrentPublishers, scenario.appearance([(secondMessage, subscribers)], before: deadline))
    scenario.record(publisherTextOnServer, scenario.shownOnServer([firstMessage], before: deadline))
    scenario.record(
      subscriberTextOnServer, scenario.shownOnServer([subscriberNote], before: deadline))

    scenario.waitQuietPeriod()
    scenario.record(
      notToPublishers,
      scenario.absence(
        [
          Unwanted(firstMessage, on: [publisher2], ifDeliveredTo: subscribers),
          Unwanted(secondMessage, on: [publisher1], ifDeliveredTo: subscribers),
        ], subject: "publishers receive messages"))
    // Whether a subscriber's line is delivered means something only for a server that
    // delivers at all: publisher 1's line stands in for that.
    let deliversAtAll = subscribers.contains { $0.output.contains(firstMessage) }
    scenario.record(
      subscriberTextNotDelivered,
      deliversAtAll
        ? scenario.absence(
          [Unwanted(subscriberNote, on: [subscriber2] + publishers)],
          subject: "a subscriber's line is delivered")
        : .notJudged(
          reason: "publisher 1's line reached no subscriber (2.2), so whether a subscriber's "
            + "line is delivered cannot be judged"))

    scenario.record(terminateEndsClients, scenario.terminate([publisher2, subscriber2]).outcome)

    let subscriber3 = scenario.startClient("subscriber 3 (joined later)", ["SUBSCRIBER"])
    let isWarmAgain = scenario.warmUp(
      from: publisher1, "warm-up again round", until: [subscriber1, subscriber3])
    publisher1.type(laterMessage)
    scenario.record(
      carriesOn,
      scenario.appearance(
        [(laterMessage, [subscriber1, subscriber3])],
        before: scenario.deliveryDeadline(afterWarmUpSucceeded: isWarmAgain)))
  }
}
