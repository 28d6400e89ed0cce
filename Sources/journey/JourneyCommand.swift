import ArgumentParser
import Foundation
import JourneyKit
import JourneyPostgres

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
    subcommands: [Demo.self, Generate.self, Inspect.self, Fit.self, SQL.self, Show.self, Forecast.self, Score.self, Compare.self, Levers.self, Evaluate.self, Design.self, Backtest.self, Serve.self]
  )

  /// Runs the command; errors the library raises about input data exit with 65 (bad input data:
  /// transactions, model files, scenario, state-rules and targets files), flag mistakes with 64,
  /// anything else with 1. The README's "Exit codes" section lists them.
  static func main() {
    Interruption.removeTemporaryFilesOnSignals()
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      if let code = ExitCodes.dataError(error) {
        printError((code == ExitCodes.usage ? "Error: " : "") + String(describing: error))
        if code == ExitCodes.usage, let name = CommandLine.arguments.dropFirst().first, !name.hasPrefix("-") {
          printError("  See 'journey \(name) --help' for the flags.")
        }
        Foundation.exit(code)
      }
      exit(withError: error)
    }
  }
}

/// The exit codes of journey (sysexits.h), in one place.
enum ExitCodes {
  /// Misuse of flags: ArgumentParser's `ValidationError`, and flags the library rejects.
  static let usage: Int32 = 64
  /// Bad input data.
  static let dataError: Int32 = 65

  /// The exit code of an error mapped here (the library's errors about input data and flags, and
  /// flag mistakes a command finds in run()), nil for anything else.
  static func dataError(_ error: any Error) -> Int32? {
    switch error {
    case is InputError, is InputFailure, is SummaryFormatError, is ModelFileError, is YAMLFileError, is InputLimitError:
      return dataError
    case is OutputPathError, is GeneratorError:
      return usage
    case is ValidationError:
      // Thrown by a command's run() (a flag whose problem shows only once the input is read):
      // ArgumentParser would print the root's usage; the command's own help is named instead.
      return usage
    case let source as PostgresSourceError:
      return source.exitCode
    case let fit as FitError:
      // A flag the library rejects (an unknown --states, a missing --split-by column) is misuse,
      // and so is a window that would end before it starts (a --from after the data, an --as-of
      // before it), as a --launch outside the data is; data too short for the window is data.
      switch fit {
      case .invalidOption, .unknownSplitColumn: return usage
      case let .windowTooShort(_, _, from, asOf): return from > asOf ? usage : dataError
      case .emptyData, .noTransitions: return dataError
      }
    case let backtest as BacktestError:
      // The same line for a backtest: a calibration end outside the data is misuse, one that
      // leaves too few periods on either side of it is data too short.
      switch backtest {
      case .invalidOption: return usage
      case let .calibrationTooShort(end, _, _, start): return end < start ? usage : dataError
      case let .noHoldout(end, _, dataEnd): return end > dataEnd ? usage : dataError
      case .holdoutTooLong, .holdoutLeavesTooFew, .tooManyOrigins: return dataError
      }
    case let design as RolloutDesignError:
      switch design {
      case .unknownMeasure, .needsData: return usage
      case .tooShort: return dataError
      }
    case let evaluation as EvaluationError:
      // Who is in the control group is data; a group column that is not there is a flag mistake.
      switch evaluation {
      case .unknownControlIDs, .emptyGroup, .badLaunches, .windowTooShort: return dataError
      case .launchOutsideData: return usage
      case let .badGroupColumn(_, problem, _): return problem == "not in the data" ? usage : dataError
      }
    default:
      return nil
    }
  }
}

/// Ctrl-C, kill and hang-up end the run without leaving temporary files or folders behind
/// (`TemporaryFiles`): the signals are handled on a dispatch queue, which removes them and exits
/// with 128 + the signal, as the shell reports a killed command.
enum Interruption {
  nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []

  static func removeTemporaryFilesOnSignals() {
    for sig in [SIGINT, SIGTERM, SIGHUP] {
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler {
        TemporaryFiles.removeAll()
        Foundation.exit(128 + sig)
      }
      source.resume()
      sources.append(source)
    }
  }
}
