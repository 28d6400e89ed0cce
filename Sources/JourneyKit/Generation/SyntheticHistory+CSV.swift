extension SyntheticHistory {
  /// The customer id written for customer number `index`: `C` and a zero-padded number.
  public func customerID(_ index: Int) -> String {
    "C" + String(repeating: "0", count: max(0, idWidth - String(index + 1).count)) + String(index + 1)
  }

  /// The ids of the control group, one a line (the file `journey evaluate --control` reads).
  public func controlIDs() -> String {
    isControl.indices.filter { isControl[$0] }.map { customerID($0) + "\n" }.joined()
  }

  private var idWidth: Int { max(7, String(parameters.customers).count) }

  /// The history as CSV bytes: `customer_id,date,amount[,event]`, one row per line, `\n` endings.
  ///
  /// Written by hand into one byte buffer (dates pre-formatted per day, amounts
  /// from integer cents) because 10 million rows through `String` formatting
  /// would take longer than generating them.
  public func csvBytes() -> [UInt8] {
    let width = idWidth
    let startDay = Int(parameters.start.dayNumber)
    let dates = (startDay..<Int(parameters.end.dayNumber)).map {
      Array(CalendarDay(dayNumber: Int32($0)).description.utf8)
    }
    let eventNames = TransactionEvent.allCases.map { Array($0.name.utf8) }
    let withEvents = parameters.hasEvents
    var out = [UInt8]()
    out.reserveCapacity(rowCount * (width + 30) + 64)
    // Per-customer columns of a holdout or staggered launch (absent by default, so the default
    // output stays as it was).
    let groupNames = [Array(",treated".utf8), Array(",control".utf8)]
    let regionNames = (0..<(parameters.regions ?? 0)).map { Array(("," + GeneratorParameters.regionName($0)).utf8) }
    let header = "customer_id,date,amount" + (withEvents ? ",event" : "") + (isControl.isEmpty ? "" : ",group")
      + (region.isEmpty ? "" : ",region") + "\n"
    out.append(contentsOf: Array(header.utf8))
    var digits = [UInt8](repeating: 0, count: 24)
    for r in 0..<rowCount {
      // customer id
      out.append(UInt8(ascii: "C"))
      var n = Int(customer[r]) + 1
      var k = 0
      while n > 0 {
        digits[k] = UInt8(48 + n % 10)
        n /= 10
        k += 1
      }
      for _ in k..<max(k, width) { out.append(48) }
      while k > 0 {
        k -= 1
        out.append(digits[k])
      }
      out.append(UInt8(ascii: ","))
      out.append(contentsOf: dates[Int(day[r]) - startDay])
      out.append(UInt8(ascii: ","))
      // amount from cents
      var cents = amountCents[r]
      if cents < 0 {
        out.append(UInt8(ascii: "-"))
        cents = -cents
      }
      var whole = cents / 100
      let fraction = Int(cents % 100)
      k = 0
      repeat {
        digits[k] = UInt8(48 + whole % 10)
        whole /= 10
        k += 1
      } while whole > 0
      while k > 0 {
        k -= 1
        out.append(digits[k])
      }
      out.append(UInt8(ascii: "."))
      out.append(UInt8(48 + fraction / 10))
      out.append(UInt8(48 + fraction % 10))
      if withEvents {
        out.append(UInt8(ascii: ","))
        out.append(contentsOf: eventNames[Int(event[r].rawValue)])
      }
      if !isControl.isEmpty { out.append(contentsOf: groupNames[isControl[Int(customer[r])] ? 1 : 0]) }
      if !region.isEmpty { out.append(contentsOf: regionNames[Int(region[Int(customer[r])])]) }
      out.append(UInt8(ascii: "\n"))
    }
    return out
  }
}
