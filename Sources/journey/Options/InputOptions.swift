import ArgumentParser
import Foundation
import JourneyKit

/// The flags every command that reads transactions shares: the file, its columns and
/// format, and what to do with bad rows.
///
/// Commands include it with `@OptionGroup var input: InputOptions` and call `read()`.
struct InputOptions: ParsableArguments {
  @Argument(help: ArgumentHelp("Transactions as CSV or TSV with a header row ('-' reads standard input).", valueName: "file"))
  var file: String

  @OptionGroup var format: InputFormatOptions

  /// Reads the file, keeping `attributeColumns` per customer (for `--split-by`). Bad input
  /// prints every problem found to standard error and exits with 65.
  func read(keeping attributeColumns: [String] = []) throws -> IngestResult {
    try format.read(path: file, keeping: attributeColumns)
  }
}

/// How transactions are written and what to do with bad rows: `InputOptions` without the file,
/// for commands whose input may also be a summary (`fit --summary`).
struct InputFormatOptions: ParsableArguments {
  // Flags left out take how the model's input was read where the command reads data for a model
  // (`score`: `fit` keeps its flags in the model), else the defaults; hence the optionals.

  @Option(help: ArgumentHelp("Header name of the customer id column (any case). Default: customer_id.", valueName: "name"))
  var customerColumn: String?

  @Option(help: ArgumentHelp("Header name of the date column. Default: date.", valueName: "name"))
  var dateColumn: String?

  @Option(help: ArgumentHelp("Header name of the amount column. Negative amounts are refunds. Default: amount.", valueName: "name"))
  var amountColumn: String?

  @Option(help: ArgumentHelp(
    "Header name of a quantity column, for order-line exports: each row's amount is then its quantity times the amount column (a unit price), e.g. --quantity-column Quantity --amount-column UnitPrice.",
    valueName: "name"))
  var quantityColumn: String?

  @Option(help: "Header name of the event column (purchase, lead, refund); without it, 'event' is used when present.")
  var eventColumn: String?

  @Option(help: ArgumentHelp(
    "Field delimiter: ',', ';', 'tab', '|' or 'space' (runs of spaces and tabs, as in fixed-width exports); detected from the header when not given.",
    valueName: "char"))
  var delimiter: String?

  @Option(
    help: ArgumentHelp(
      "Date layout, e.g. %d.%m.%Y, %m/%d/%Y, %Y%m%d (%Y %y %m %d %b %B; a time after the date is ignored). Default: ISO YYYY-MM-DD, with or without a time.",
      valueName: "pattern"))
  var dateFormat: String?

  @Flag(inversion: .prefixedNo, help: "Amounts use a decimal comma (12,50). Default: a decimal point.")
  var decimalComma: Bool?

  @Option(help: "On a bad row: fail (collect up to 20 problems and stop) or skip (count and leave it out).")
  var onError: ErrorPolicy = .fail

  @Option(help: ArgumentHelp("With --on-error skip: write each rejected row verbatim, after a comment line with its reason.", valueName: "file"))
  var rejects: String?

  @Flag(
    inversion: .prefixedNo,
    help: "Keep same-day purchases of a customer as separate transactions instead of one purchase occasion. Default: one occasion.")
  var keepSameDay: Bool?

  func validate() throws {
    _ = try readerOptions()
  }

  /// The settings these flags give: each flag given, else `model`'s (how the input of the model
  /// a command reads data for was read), else the default.
  func readSettings(model: ReadSettings? = nil) -> ReadSettings {
    let d = model ?? .defaults
    return ReadSettings(
      customerColumn: customerColumn ?? d.customerColumn, dateColumn: dateColumn ?? d.dateColumn,
      amountColumn: amountColumn ?? d.amountColumn, quantityColumn: quantityColumn ?? d.quantityColumn,
      eventColumn: eventColumn ?? d.eventColumn, delimiter: delimiter ?? d.delimiter, dateFormat: dateFormat ?? d.dateFormat,
      decimalComma: decimalComma ?? d.decimalComma, keepSameDay: keepSameDay ?? d.keepSameDay)
  }

  /// The flags a read takes from `model` for want of its own: what `fit` was told that the
  /// defaults would not give, as flags (empty when the model's settings are the defaults). With
  /// `columnsOnly`, the column names alone: a table's summary has no delimiter, date format or
  /// decimal comma, and merges same-day rows itself.
  func flagsTaken(from model: ReadSettings, columnsOnly: Bool = false) -> [String] {
    let d = ReadSettings.defaults
    var flags: [String] = []
    func add(_ given: String?, _ kept: String?, _ fallback: String?, _ flag: String) {
      if given == nil, let kept, kept != fallback { flags.append("\(flag) '\(kept)'") }
    }
    add(customerColumn, model.customerColumn, d.customerColumn, "--customer-column")
    add(dateColumn, model.dateColumn, d.dateColumn, "--date-column")
    add(amountColumn, model.amountColumn, d.amountColumn, "--amount-column")
    add(quantityColumn, model.quantityColumn, nil, "--quantity-column")
    add(eventColumn, model.eventColumn, nil, "--event-column")
    if columnsOnly { return flags }
    add(delimiter, model.delimiter, nil, "--delimiter")
    add(dateFormat, model.dateFormat, nil, "--date-format")
    if decimalComma == nil && model.decimalComma { flags.append("--decimal-comma") }
    if keepSameDay == nil && model.keepSameDay { flags.append("--keep-same-day") }
    return flags
  }

  /// Says on standard error which flags reading `name` takes from `model` (nothing when none).
  func noteFlagsTaken(reading name: String, from model: ReadSettings?, columnsOnly: Bool = false) {
    guard let model, case let taken = flagsTaken(from: model, columnsOnly: columnsOnly), !taken.isEmpty else { return }
    printError("reading \(name) as the model's input was read: \(taken.joined(separator: " "))")
  }

  /// The library's reader options for these flags, over `model`'s settings (`readSettings`).
  ///
  /// - Throws: `ValidationError` naming the flag for an unusable delimiter, date format or flag combination.
  func readerOptions(model: ReadSettings? = nil) throws -> ReaderOptions {
    let settings = readSettings(model: model)
    var options = ReaderOptions()
    options.customerColumn = settings.customerColumn
    options.dateColumn = settings.dateColumn
    options.amountColumn = settings.amountColumn
    options.quantityColumn = settings.quantityColumn
    options.eventColumn = settings.eventColumn
    options.decimalComma = settings.decimalComma
    options.onError = onError
    options.keepSameDay = settings.keepSameDay
    if let delimiter = settings.delimiter {
      switch delimiter.lowercased() {
      case ",", "comma": options.delimiter = UInt8(ascii: ",")
      case ";", "semicolon": options.delimiter = UInt8(ascii: ";")
      case "tab", "\\t", "\t": options.delimiter = 0x09
      case "|", "pipe": options.delimiter = UInt8(ascii: "|")
      case " ", "space", "spaces", "whitespace": options.delimiter = ReaderOptions.whitespace
      default:
        throw ValidationError("--delimiter: '\(delimiter)' is not supported; expected ',', ';', 'tab', '|' or 'space'")
      }
      if options.decimalComma && options.delimiter == UInt8(ascii: ",") {
        // Allowed (amounts must then be quoted), but almost always a mistake.
        printError("warning: --decimal-comma with a comma delimiter: amounts like 12,50 must be quoted")
      }
    }
    if let dateFormat = settings.dateFormat {
      do {
        options.dateFormat = try DateFormat(pattern: dateFormat)
      } catch {
        throw ValidationError(error.description)
      }
    }
    if let rejects {
      guard onError == .skip else {
        throw ValidationError("--rejects: '\(rejects)' is only written with --on-error skip; add --on-error skip")
      }
      options.rejectsPath = rejects
    }
    return options
  }

  /// Reads the file at `path`, keeping `attributeColumns` per customer (for `--split-by`), with
  /// `model`'s settings for the flags not given (saying so on standard error).
  /// Bad input prints every problem found to standard error and exits with 65.
  func read(path: String, keeping attributeColumns: [String] = [], model: ReadSettings? = nil) throws -> IngestResult {
    noteFlagsTaken(reading: path, from: model)
    var options = try readerOptions(model: model)
    options.attributeColumns += attributeColumns
    let reader = TransactionReader(options: options)
    let result: IngestResult
    do {
      result = try reader.read(path: path)
    } catch {
      printError(error.description)
      throw ExitCode(65)
    }
    return reportSkipped(result)
  }

  /// Reads a `journey-summary/1` file (`fit --summary`) with this command's bad-row policy.
  func readSummary(path: String, splitBy: String?) throws -> IngestResult {
    if quantityColumn != nil {
      throw ValidationError("--quantity-column: a summary's amounts are already per occasion; it is used with a transaction file or a --source table")
    }
    let result: IngestResult
    do {
      result = try TransactionSummary.read(path: path, splitBy: splitBy, options: try readerOptions())
    } catch let error as InputFailure {
      printError(error.description)
      throw ExitCode(65)
    }
    return reportSkipped(result)
  }

  /// Says on standard error how many rows were skipped and why.
  private func reportSkipped(_ result: IngestResult) -> IngestResult {
    let summary = result.summary
    if summary.rowsRejected > 0 {
      let reasons = summary.rejectedByReason.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        .map { "\($0.value) \($0.key)" }.joined(separator: ", ")
      printError(
        "skipped \(summary.rowsRejected) of \(summary.rowsRead) rows: \(reasons)"
          + (rejects.map { "; written to \($0)" } ?? "; keep them with --rejects FILE"))
    }
    return result
  }
}

extension ErrorPolicy: ExpressibleByArgument {}
