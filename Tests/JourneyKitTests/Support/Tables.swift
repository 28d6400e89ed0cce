import JourneyKit

extension TransactionTable {
  /// The generator's rows as a table, through the in-memory builder (same-day purchases merged).
  init(history h: SyntheticHistory) {
    let records = (0..<h.rowCount).map { r in
      TransactionRecord(h.customerID(Int(h.customer[r])), CalendarDay(dayNumber: h.day[r]), Double(h.amountCents[r]) / 100, h.event[r])
    }
    self.init(records: records)
  }
}

func day(_ text: String) -> CalendarDay { CalendarDay(iso: text)! }
