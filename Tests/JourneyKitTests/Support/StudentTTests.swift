import JourneyKit
import Testing

@Suite("Student t")
struct StudentTTests {
  @Test func twoSidedPMatchesTables() {
    // Critical values from standard t tables (two-sided 5% and 1%).
    #expect(abs(StudentT.twoSidedP(12.706205, degreesOfFreedom: 1) - 0.05) < 1e-6)
    #expect(abs(StudentT.twoSidedP(2.228139, degreesOfFreedom: 10) - 0.05) < 1e-6)
    #expect(abs(StudentT.twoSidedP(3.169273, degreesOfFreedom: 10) - 0.01) < 1e-6)
    #expect(abs(StudentT.twoSidedP(-2.228139, degreesOfFreedom: 10) - 0.05) < 1e-6)
    #expect(abs(StudentT.twoSidedP(1.959964, degreesOfFreedom: 1e7) - 0.05) < 1e-5)
    #expect(StudentT.twoSidedP(0, degreesOfFreedom: 5) == 1)
    #expect(StudentT.twoSidedP(.nan, degreesOfFreedom: 5) == 1)
  }

  @Test func quantilesMatchTables() {
    // One-sided 95% and 97.5% points from standard t tables; the normal's for huge df.
    #expect(abs(StudentT.quantile(0.95, degreesOfFreedom: 1) - 6.313752) < 1e-5)
    #expect(abs(StudentT.quantile(0.95, degreesOfFreedom: 2) - 2.919986) < 1e-5)
    #expect(abs(StudentT.quantile(0.95, degreesOfFreedom: 3) - 2.353363) < 1e-5)
    #expect(abs(StudentT.quantile(0.95, degreesOfFreedom: 6) - 1.943180) < 1e-5)
    #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 10) - 2.228139) < 1e-5)
    #expect(abs(StudentT.quantile(0.05, degreesOfFreedom: 10) + 1.812461) < 1e-5)
    #expect(abs(StudentT.quantile(0.95, degreesOfFreedom: 1e7) - 1.644854) < 1e-4)
    #expect(StudentT.quantile(0.5, degreesOfFreedom: 4) == 0)
  }
}
