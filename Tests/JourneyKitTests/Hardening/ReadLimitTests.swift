import Foundation
@testable import JourneyKit
import Testing

/// The row, customer and id-text limits stop a read with an error that names the limit, at the
/// block where it is passed, instead of the 32-bit numbering trapping later.
@Suite struct ReadLimitTests {
  /// 3,000 rows of 1,000 customers, read in small blocks so that several checks happen.
  private func text() -> String {
    var text = "customer_id,date,amount\n"
    for k in 0..<3_000 { text += "customer-\(k % 1_000),2024-01-\(String(format: "%02d", 1 + k / 1_000)),5\n" }
    return text
  }

  private func options(_ change: (inout ReaderOptions) -> Void) -> ReaderOptions {
    var options = ReaderOptions()
    options.blockBytes = 4_096
    options.maxRowBytes = 1_024
    options.minimumPartBytes = 512
    change(&options)
    return options
  }

  @Test func rowsBeyondTheLimitAreAnError() {
    do {
      _ = try TransactionReader(options: options { $0.maxRows = 2_999 }).read(text: text(), name: "big.csv")
      Issue.record("3,000 rows were read under a limit of 2,999")
    } catch {
      #expect(error.problems.map(\.description) == [
        "'big.csv' has more than 2,999 rows, the limit of one run — expected at most 2,999 rows (README, \"Validation, limits and exit codes\")\n"
          + "  hint: split the file by customer and fit a sample of customers (every customer's rows in one part), or aggregate in the database"
      ])
    }
  }

  @Test func customersBeyondTheLimitAreAnError() {
    do {
      _ = try TransactionReader(options: options { $0.maxCustomers = 999 }).read(text: text(), name: "big.csv")
      Issue.record("1,000 customers were read under a limit of 999")
    } catch {
      #expect(error.problems.first?.message.hasPrefix("'big.csv' has more than 999 customers, the limit of one run") == true)
    }
  }

  @Test func idTextBeyondTheLimitIsAnError() {
    // 1,000 distinct ids: 'customer-0' ... 'customer-999' are 9 + 1..3 digits = 11,890 bytes.
    do {
      _ = try TransactionReader(options: options { $0.maxCustomerIDText = 11_889 }).read(text: text(), name: "big.csv")
      Issue.record("11,890 bytes of ids were read under a limit of 11,889")
    } catch {
      #expect(error.problems.first?.message.hasPrefix("'big.csv' has more than 11,889 bytes of customer ids") == true)
    }
  }

  @Test func exactlyAtTheLimitsIsRead() throws {
    let result = try TransactionReader(options: options {
      $0.maxRows = 3_000
      $0.maxCustomers = 1_000
      $0.maxCustomerIDText = 11_890
    }).read(text: text(), name: "big.csv")
    #expect(result.summary.rowsRead == 3_000)
    #expect(result.summary.customers == 1_000)
  }
}
