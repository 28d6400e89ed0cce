import Foundation
@testable import JourneyKit
import Testing

/// Order-line exports (one row per product of an invoice, a quantity and a unit price, as in the
/// UCI Online Retail data): each row's amount is quantity x price.
@Suite("Quantity column")
struct QuantityColumnTests {
  static let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"

  static func read(_ text: String, _ configure: (inout ReaderOptions) -> Void = { _ in }) throws -> IngestResult {
    try ReaderFormatTests.read(text) {
      $0.customerColumn = "CustomerID"
      $0.dateColumn = "InvoiceDate"
      $0.amountColumn = "UnitPrice"
      $0.quantityColumn = "Quantity"
      $0.dateFormat = try! DateFormat(pattern: "%m/%d/%Y %H:%M")
      configure(&$0)
    }
  }

  @Test func eachLineIsQuantityTimesPriceAndAnInvoiceIsOneOccasion() throws {
    let text = Self.header + """
      536365,85123A,"WHITE HANGING HEART T-LIGHT HOLDER",6,12/1/2010 8:26,2.55,17850,United Kingdom
      536365,71053,"WHITE METAL LANTERN, LARGE",6,12/1/2010 8:26,3.39,17850,United Kingdom
      536366,22633,HAND WARMER UNION JACK,6,12/1/2010 8:28,1.85,17850,United Kingdom
      536367,84879,ASSORTED COLOUR BIRD ORNAMENT,32,12/1/2010 8:34,1.69,13047,United Kingdom
      C536379,D,Discount,-1,12/2/2010 9:41,27.50,13047,United Kingdom

      """
    let result = try Self.read(text)
    let t = result.table
    #expect(t.customerIDs == ["17850", "13047"])
    #expect(t.day == ["2010-12-01", "2010-12-01", "2010-12-02"].map(ReaderFormatTests.day))
    // 17850 on 2010-12-01: 6 x 2.55 + 6 x 3.39 + 6 x 1.85 = 15.30 + 20.34 + 11.10 = 46.74, one occasion.
    // 13047: 32 x 1.69 = 54.08, then a cancelled line of -1 x 27.50, a refund.
    #expect(Array(t.amount) == [46.74, 54.08, -27.5])
    #expect(t.event == [.purchase, .purchase, .refund])
    #expect(result.summary.rowsMerged == 2)
  }

  @Test func aProductHasTheDecimalsOfItsFactors() throws {
    // 6 x 2.55 is 15.299999999999999 and 3 x 0.0125 0.037500000000000006 in binary arithmetic;
    // typed, they would be 15.30 and 0.0375.
    let text = Self.header + "1,A,a,6,1/5/2024 10:00,2.55,C1,UK\n2,B,b,1,1/6/2024 10:00,0.0125,C2,UK\n3,B,b,3,1/7/2024 10:00,0.0125,C2,UK\n"
    let t = try Self.read(text).table
    #expect(6 * 2.55 != 15.3 && 3 * 0.0125 != 0.0375)
    #expect(Array(t.amount) == [15.3, 0.0125, 0.0375])
  }

  @Test func aLeadNeedsNoQuantity() throws {
    let text = "customer_id,date,amount,qty,event\nL1,2024-01-02,,,lead\nL1,2024-01-09,4.5,2,purchase\n"
    let t = try ReaderFormatTests.read(text) { $0.quantityColumn = "qty" }.table
    #expect(Array(t.amount) == [0, 9])
    #expect(t.event == [.lead, .purchase])
  }

  @Test func aBadQuantityIsReportedWhereItIs() throws {
    let text = Self.header + "1,A,a,6,1/5/2024 10:00,2.55,C1,UK\n2,A,a,six,1/6/2024 10:00,2.55,C1,UK\n3,A,a,,1/7/2024 10:00,2.55,C1,UK\n"
    do {
      _ = try Self.read(text)
      Issue.record("expected a failure")
    } catch let error as InputFailure {
      #expect(error.problems.map(\.message) == [
        "t.csv:3:7: quantity 'six' — expected a number such as 2 or 1.5",
        "t.csv:4:7: quantity '' — expected a number such as 2 or 1.5",
      ])
      #expect(error.problems.map(\.hint) == [
        nil, "with --quantity-column every purchase and refund needs a quantity; leads may leave it empty",
      ])
      #expect(error.problems.map(\.reason) == [.invalidQuantity, .invalidQuantity])
    }
  }

  @Test func aMissingAmountBesideAQuantitySuggestsOrderLines() throws {
    do {
      _ = try ReaderFormatTests.read(Self.header + "1,A,a,6,12/1/2010 8:26,2.55,C1,UK\n") {
        $0.customerColumn = "CustomerID"
        $0.dateColumn = "InvoiceDate"
        $0.dateFormat = try! DateFormat(pattern: "%m/%d/%Y")
      }
      Issue.record("expected a failure")
    } catch let error as InputFailure {
      #expect(error.problems.map(\.hint) == [
        "did you mean 'UnitPrice'? Read it with --amount-column UnitPrice; the rows look like order lines: with --quantity-column Quantity each amount is quantity x price"
      ])
    }
  }

  @Test func aMissingQuantityColumnSuggestsTheUsualName() throws {
    do {
      _ = try Self.read(Self.header + "1,A,a,6,1/5/2024 10:00,2.55,C1,UK\n") { $0.quantityColumn = "qty" }
      Issue.record("expected a failure")
    } catch let error as InputFailure {
      #expect(error.problems.map(\.hint) == ["did you mean 'Quantity'? Read it with --quantity-column Quantity"])
    }
  }
}
