/// Every scenario the tool runs, in order. A stage adds its scenarios with one entry each
/// here, defined next to its others in a `TaskNScenarios.swift` file.
let scenarios: [Scenario] = [
  .task1Basic,
  .task1SecondClientWaits,
  .task2Roles,
  .task3Topics,
]
