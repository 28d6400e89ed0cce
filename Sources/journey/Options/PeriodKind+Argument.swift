import ArgumentParser
import JourneyKit

/// `--period week|month|quarter` for every command that buckets days into periods.
extension PeriodKind: ExpressibleByArgument {}
