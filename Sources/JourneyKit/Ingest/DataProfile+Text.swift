import Foundation

extension DataProfile {
  /// The profile as terminal text: a summary, then tables per period, per number of
  /// purchase occasions, and the time between purchases.
  ///
  /// - Parameter maxPeriods: show at most this many periods (the latest), or all when nil.
  public func text(maxPeriods: Int? = nil) -> String {
    var out: [String] = []
    let i = ingest
    out.append("Data profile: \(i.source)")
    var readNote = "rejected \(Format.number(Double(i.rowsRejected)))"
    if i.sameDayPurchasesMerged {
      readNote = "merged \(Format.number(Double(i.rowsMerged))) same-day purchases into earlier ones; " + readNote
    } else {
      readNote = "same-day purchases kept as separate rows; " + readNote
    }
    out.append("  rows read      \(Format.number(Double(i.rowsRead)))  (\(readNote))")
    let separated =
      switch i.delimiter {
      case ",": "comma-separated"
      case ";": "semicolon-separated"
      case "|": "pipe-separated"
      case "tab": "tab-separated"
      default: "separated by \(i.delimiter)"
      }
    let amount = i.quantityColumn.map { "\($0) x \(i.amountColumn)" } ?? i.amountColumn
    out.append("  columns        customer \(i.customerColumn), date \(i.dateColumn), amount \(amount)\(i.eventColumn.map { ", event \($0)" } ?? "") (\(separated))")
    if !i.rejectedByReason.isEmpty {
      let reasons = i.rejectedByReason.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        .map { "\($0.key) \(Format.number(Double($0.value)))" }.joined(separator: ", ")
      out.append("  rejected       \(reasons)")
    }
    out.append(
      "  customers      \(Format.number(Double(customers)))  (\(Format.number(Double(buyers))) bought; \(Format.number(Double(leads))) leads, \(Format.number(Double(leadsWithoutPurchase))) of them never bought)")
    out.append("  dates          \(firstDay) to \(lastDay)  (\(Format.number(Double(spanDays))) days)")
    let meanOrder = purchaseOccasions > 0 ? revenue / Double(purchaseOccasions) : 0
    out.append(
      "  revenue        \(Format.number(revenue, decimals: 2))  from \(Format.number(Double(purchaseOccasions))) purchase occasions (mean \(Format.number(meanOrder, decimals: 2)))")
    out.append(
      "  refunds        \(Format.number(refunds, decimals: 2))  from \(Format.number(Double(refundRows))) refunds (\(Format.percent(revenue > 0 ? refunds / revenue : 0)) of revenue)")
    out.append("")

    let shown = maxPeriods.map { Array(periods.suffix($0)) } ?? periods
    out.append("Per \(period.rawValue)\(shown.count < periods.count ? " (latest \(shown.count) of \(periods.count))" : "")")
    var table = TextTable(header: [period.rawValue, "transactions", "active", "new (cohort)", "cohort repeat", "revenue", "refunds"])
    for row in shown {
      table.append([
        row.label + (row.partial ? "*" : ""), Format.number(Double(row.transactions)), Format.number(Double(row.activeCustomers)),
        Format.number(Double(row.newCustomers)),
        row.newCustomers > 0 ? Format.percent(Double(row.cohortRepeatBuyers) / Double(row.newCustomers)) : "-",
        Format.number(row.revenue, decimals: 2), Format.number(row.refunds, decimals: 2),
      ])
    }
    out.append(table.render())
    if shown.contains(where: \.partial) { out.append("  * partial \(period.rawValue): the data starts or ends inside it") }
    out.append("  active: customers with a purchase; new: first purchase (the cohort); cohort repeat: share of the cohort that bought again")
    out.append("")

    out.append("Customers by purchase occasions")
    var occasionsTable = TextTable(header: ["occasions", "customers", "share"])
    for bucket in occasionsPerCustomer {
      occasionsTable.append([
        bucket.label, Format.number(Double(bucket.customers)),
        Format.percent(customers > 0 ? Double(bucket.customers) / Double(customers) : 0),
      ])
    }
    out.append(occasionsTable.render())
    out.append("")

    if let q = interPurchaseDays {
      out.append("Days between purchases (\(Format.number(Double(q.count))) repeat purchases)")
      var gaps = TextTable(header: ["p10", "p25", "median", "p75", "p90", "mean"], leftAligned: [])
      gaps.append([q.p10, q.p25, q.median, q.p75, q.p90].map(String.init) + [Format.number(q.mean, decimals: 1)])
      out.append(gaps.render())
    } else {
      out.append("Days between purchases: no customer bought on two different days")
    }
    if let timing = purchaseTiming {
      out.append("Purchase timing: \(timing.plainWords)")
      if timing.isRegular {
        out.append("  \(PurchaseTiming.consequenceForRandomTiming).")
      }
    }
    out.append("")
    out.append("Suggested period: \(suggestion.period.rawValue) (--period \(suggestion.period.rawValue))")
    out.append("  \(suggestion.reason)")
    return out.joined(separator: "\n") + "\n"
  }

  /// A few lines for the demo: size, dates, money and the suggested period.
  public func shortText() -> String {
    var lines: [String] = []
    lines.append(
      "  \(Format.number(Double(ingest.rowsRead))) rows (\(Format.number(Double(ingest.rowsMerged))) same-day merged, \(Format.number(Double(ingest.rowsRejected))) rejected), \(Format.number(Double(customers))) customers (\(Format.number(Double(buyers))) bought), \(firstDay) to \(lastDay)")
    lines.append(
      "  revenue \(Format.number(revenue, decimals: 2)) from \(Format.number(Double(purchaseOccasions))) purchase occasions; refunds \(Format.number(refunds, decimals: 2))")
    if let q = interPurchaseDays {
      lines.append("  days between purchases: median \(q.median), p25-p75 \(q.p25)-\(q.p75)")
    }
    lines.append("  suggested period: \(suggestion.period.rawValue): \(suggestion.reason)")
    return lines.joined(separator: "\n") + "\n"
  }
}
