import ArgumentParser
import JourneyKit

@main
struct JourneyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "journey",
    abstract: "Customer journeys as Markov chains: fit, forecast and compare CRM strategies.",
    discussion: """
      Journey reads a transaction history, learns how customers move between lifecycle \
      and value segments from period to period, and simulates that movement forward.

      Start with `journey demo`: it generates sample data and runs every analysis on it.
      """,
    version: "0.1.0",
    subcommands: [Demo.self, Generate.self, Inspect.self, Fit.self, Show.self, Forecast.self, Score.self, Compare.self, Levers.self, Evaluate.self, Backtest.self]
  )
}
