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
}
