/// Task 3, 40 marks: messages routed by topic.
///
/// The contract: `server PORT`; `client HOST PORT PUBLISHER|SUBSCRIBER TOPIC[,TOPIC...]`. A
/// publisher's line reaches exactly the subscribers of its topic; names match exactly; many
/// topics, publishers and subscribers coexist.
///
/// The run uses three topics, two of which share a prefix: NEWS, NEWSFLASH and SPORTS. Five
/// subscribers (two on NEWS, one on NEWSFLASH, one on SPORTS, one on both NEWS and SPORTS)
/// and four publishers (two on NEWS, one on each of the others) connect; every publisher
/// types one line; then a publisher and a subscriber of SPORTS leave with `terminate`.
public enum Task3Checks {
  /// The task's name in reports.
  public static let title = "Task 3: topics"

  static let listens = CheckDefinition(
    "3.1", "listens on the given port", marks: 2,
    verifies: "The server, started with a free port other than 5000 as its argument, listens "
      + "on that port within 10 s.")
  static let topicDelivery = CheckDefinition(
    "3.2", "a line reaches its topic's subscribers", marks: 8,
    verifies: "A line typed into a NEWS publisher appears on both NEWS subscribers.")
  static let topicsCoexist = CheckDefinition(
    "3.3", "several topics at once", marks: 6,
    verifies: "At the same time, the SPORTS and NEWSFLASH publishers' lines reach their "
      + "subscribers, and a second NEWS publisher's line reaches both NEWS subscribers.")
  static let noCrossTalk = CheckDefinition(
    "3.4", "no cross-talk between topics", marks: 6,
    verifies: "No line published on SPORTS appears on a NEWS or NEWSFLASH subscriber, and no "
      + "line published on NEWS or NEWSFLASH appears on the SPORTS subscriber.")
  static let exactTopicNames = CheckDefinition(
    "3.5", "topic names match exactly", marks: 6,
    verifies: "NEWS is a prefix of NEWSFLASH, yet no NEWSFLASH line appears on a NEWS "
      + "subscriber and no NEWS line appears on the NEWSFLASH subscriber.")
  static let severalTopicsPerSubscriber = CheckDefinition(
    "3.6", "a subscriber of several topics", marks: 4,
    verifies: "A subscriber started with the topic list NEWS,SPORTS receives the lines of both "
      + "topics.")
  static let notToPublishers = CheckDefinition(
    "3.7", "no publisher receives messages", marks: 3,
    verifies: "No publisher shows a line another publisher typed, not even one on its own "
      + "topic. (A client may show what was typed into it.)")
  static let publisherTextOnServer = CheckDefinition(
    "3.8", "published lines appear on the server", marks: 2,
    verifies: "Every published line appears in the server's output.")
  static let terminateEndsClients = CheckDefinition(
    "3.9", "terminate ends a publisher and a subscriber", marks: 3,
    verifies: "Typing 'terminate' into the SPORTS publisher and the SPORTS subscriber ends "
      + "each within 5 s.")

  /// The checks, in the order they are reported.
  public static let definitions = [
    listens, topicDelivery, topicsCoexist, noCrossTalk, exactTopicNames,
    severalTopicsPerSubscriber, notToPublishers, publisherTextOnServer, terminateEndsClients,
  ]

  static let newsMessage = "news publisher one reports elections"
  static let secondNewsMessage = "news publisher two reports rain"
  static let newsflashMessage = "newsflash publisher reports an eclipse"
  static let sportsMessage = "sports publisher reports a goal"

  static func run(_ scenario: Scenario) {
    let listening = scenario.startServer()
    scenario.record(listens, listening)
    guard listening.isPassed else { return }

    let news1 = scenario.startClient("NEWS subscriber 1", ["SUBSCRIBER", "NEWS"])
    let news2 = scenario.startClient("NEWS subscriber 2", ["SUBSCRIBER", "NEWS"])
    let newsflash = scenario.startClient("NEWSFLASH subscriber", ["SUBSCRIBER", "NEWSFLASH"])
    let sports = scenario.startClient("SPORTS subscriber", ["SUBSCRIBER", "SPORTS"])
    let both = scenario.startClient("NEWS,SPORTS subscriber", ["SUBSCRIBER", "NEWS,SPORTS"])
    let newsPublisher1 = scenario.startClient("NEWS publisher 1", ["PUBLISHER", "NEWS"])
    let newsPublisher2 = scenario.startClient("NEWS publisher 2", ["PUBLISHER", "NEWS"])
    let newsflashPublisher = scenario.startClient(
      "NEWSFLASH publisher", ["PUBLISHER", "NEWSFLASH"])
    let sportsPublisher = scenario.startClient("SPORTS publisher", ["PUBLISHER", "SPORTS"])
    let newsSubscribers = [news1, news2]
    let publishers = [newsPublisher1, newsPublisher2, newsflashPublisher, sportsPublisher]

    // The warm-up words are unrelated to the topic names, so that one cannot contain another.
    let warmUps = [
      scenario.warmUp(from: newsPublisher1, "warm-up alpha", until: newsSubscribers + [both]),
      scenario.warmUp(from: newsflashPublisher, "warm-up bravo", until: [newsflash]),
      scenario.warmUp(from: sportsPublisher, "warm-up charlie", until: [sports, both]),
    ]
    newsPublisher1.type(newsMessage)
    newsPublisher2.type(secondNewsMessage)
    newsflashPublisher.type(newsflashMessage)
    sportsPublisher.type(sportsMessage)
    let deadline = scenario.deliveryDeadline(afterWarmUpSucceeded: !warmUps.contains(false))
    scenario.record(
      topicDelivery, scenario.appearance([(newsMessage, newsSubscribers)], before: deadline))
    scenario.record(
      topicsCoexist,
      scenario.appearance(
        [
          (sportsMessage, [sports]), (newsflashMessage, [newsflash]),
          (secondNewsMessage, newsSubscribers),
        ], before: deadline))
    scenario.record(
      severalTopicsPerSubscriber,
      scenario.appearance([(newsMessage, [both]), (sportsMessage, [both])], before: deadline))
    scenario.record(
      publisherTextOnServer,
      scenario.shownOnServer(
        [newsMessage, secondNewsMessage, newsflashMessage, sportsMessage], before: deadline))

    scenario.waitQuietPeriod()
    let newsReceivers = newsSubscribers + [both]
    let sportsReceivers = [sports, both]
    scenario.record(
      noCrossTalk,
      scenario.absence(
        [
          Unwanted(
            sportsMessage, on: newsSubscribers + [newsflash], ifDeliveredTo: sportsReceivers),
          Unwanted(newsMessage, on: [sports], ifDeliveredTo: newsReceivers),
          Unwanted(secondNewsMessage, on: [sports], ifDeliveredTo: newsReceivers),
          Unwanted(newsflashMessage, on: [sports], ifDeliveredTo: [newsflash]),
        ], subject: "lines cross between topics"))
    scenario.record(
      exactTopicNames,
      scenario.absence(
        [
          Unwanted(newsflashMessage, on: newsReceivers, ifDeliveredTo: [newsflash]),
          Unwanted(newsMessage, on: [newsflash], ifDeliveredTo: newsReceivers),
          Unwanted(secondNewsMessage, on: [newsflash], ifDeliveredTo: newsReceivers),
        ], subject: "topic names that share a prefix are kept apart"))
    let published = [
      (newsMessage, newsPublisher1, newsReceivers),
      (secondNewsMessage, newsPublisher2, newsReceivers),
      (newsflashMessage, newsflashPublisher, [newsflash]),
      (sportsMessage, sportsPublisher, sportsReceivers),
    ]
    scenario.record(
      notToPublishers,
      scenario.absence(
        published.map { text, sender, receivers in
          Unwanted(text, on: publishers.filter { $0 !== sender }, ifDeliveredTo: receivers)
        }, subject: "publishers receive messages"))

    scenario.record(
      terminateEndsClients, scenario.terminate([sportsPublisher, sports]).outcome)
  }
}
