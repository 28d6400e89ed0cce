/// A numerical failure that the data, not our code, caused.
///
/// LAPACK reports `info > 0` when a factorisation meets an exact zero pivot;
/// that becomes `.singular`. `info < 0` means we passed a bad argument, which
/// is our bug and traps instead.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
  /// `U[pivot][pivot]` of the LU factorisation is exactly zero (0-based).
  case singular(operation: String, pivot: Int)
  /// A chain has no unique stationary distribution (it is reducible).
  case noUniqueStationaryDistribution

  /// The message: which operation failed and why.
  public var description: String {
    switch self {
    case let .singular(operation, pivot):
      return "\(operation): the matrix is singular (pivot \(pivot) of its LU factorisation is zero); "
        + "for a fundamental matrix (I - Q)^-1 this means some transient state can never leave its class; "
        + "check that every non-absorbing state has a path to an absorbing one, or add a prior (--prior)"
    case .noUniqueStationaryDistribution:
      return "the chain has no unique stationary distribution (it has more than one closed class); "
        + "use the absorbing-chain results instead"
    }
  }
}
