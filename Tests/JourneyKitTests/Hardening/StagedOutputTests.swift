import Foundation
import JourneyKit
import Scratch
import Testing

/// Multi-file outputs are complete or absent; temporary files do not outlive a run.
@Suite("Staged outputs", .serialized)
struct StagedOutputTests {
  func folder() throws -> String {
    try Scratch.folder("staged").path
  }

  func entries(_ path: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

  @Test func aFailedWriteLeavesNoTemporaryFile() throws {
    let dir = try folder()
    let target = dir + "/taken"
    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
    try FileManager.default.createDirectory(atPath: target + "/inside", withIntermediateDirectories: false)
    #expect(throws: OutputError.self) { try AtomicFile.write("x", to: target) }
    #expect(entries(dir) == ["taken"])
    #expect(TemporaryFiles.registered.isEmpty)
  }

  @Test func aStagedFolderMovesIntoPlaceWithTheReportLastAndReplacesOldTables() throws {
    let dir = try folder()
    try AtomicFile.write("old", to: dir + "/r-tables/stale.csv")
    try AtomicFile.write("old report", to: dir + "/r.html")
    let stage = try StagedFolder(destination: dir)
    try AtomicFile.write("a", to: stage.path("r-tables/a.csv"))
    try AtomicFile.write("new report", to: stage.path("r.html"))
    // Nothing is visible before the commit.
    #expect(entries(dir + "/r-tables") == ["stale.csv"])
    #expect(TemporaryFiles.registered.contains(stage.staging))
    try stage.commit(last: ["r.html"])
    #expect(entries(dir) == ["r-tables", "r.html"])
    #expect(entries(dir + "/r-tables") == ["a.csv"])
    #expect(try String(contentsOfFile: dir + "/r.html", encoding: .utf8) == "new report")
    #expect(TemporaryFiles.registered.isEmpty)
  }

  @Test func aNewFolderIsRenamedIntoPlaceAndADiscardedOneLeavesNothing() throws {
    let dir = try folder()
    let stage = try StagedFolder(destination: dir + "/out")
    try AtomicFile.write("a", to: stage.path("a.txt"))
    try stage.commit()
    #expect(entries(dir) == ["out"])
    #expect(entries(dir + "/out") == ["a.txt"])
    let failed = try StagedFolder(destination: dir + "/other")
    try AtomicFile.write("b", to: failed.path("b.txt"))
    failed.discard()
    #expect(entries(dir) == ["out"])
  }

  @Test func whatAKilledRunWroteIsRemovedByTheSignalHandlersCall() throws {
    let dir = try folder()
    let stage = try StagedFolder(destination: dir + "/out")
    try AtomicFile.write("a", to: stage.path("a.txt"))
    #expect(TemporaryFiles.removeAll() == 1)
    #expect(entries(dir).isEmpty)
    stage.discard()
  }

  @Test func aReportThatCannotBeWrittenLeavesNoTables() throws {
    let dir = try folder()
    try FileManager.default.createDirectory(atPath: dir + "/x.html", withIntermediateDirectories: false)
    let document = ReportDocument(
      title: "T", subtitle: "s", summary: ["one"], assumptions: [],
      sections: [ReportSection(title: "S", blocks: [.table(ReportTable(name: "t", title: "T", columns: ["a"], rows: [[ReportTable.Cell("1")]]))])],
      appendix: [], warnings: [])
    #expect(throws: OutputError.cannotWrite(path: dir + "/x.html", reason: "it is a folder")) { try ReportWriter.write(document, to: dir + "/x.html") }
    #expect(entries(dir) == ["x.html"])
  }
}

@Suite("Stream limit")
struct StreamLimitTests {
  @Test func aStreamBeyondTheLimitStopsWithAMessage() throws {
    let fifo = Scratch.path("stream").path
    #expect(mkfifo(fifo, 0o600) == 0)
    let writer = Thread {
      guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
      var text = "customer_id,date,amount\n"
      for k in 0..<2_000 { text += "c\(k),2024-01-01,5\n" }  // about 40 KB: fits the pipe buffer, so the writer never blocks
      try? handle.write(contentsOf: Data(text.utf8))
      try? handle.close()
    }
    writer.start()
    var options = ReaderOptions()
    options.maxStreamBytes = 10_000
    options.blockBytes = 4_096
    options.maxRowBytes = 1_024
    do {
      _ = try TransactionReader(options: options).read(path: fifo)
      Issue.record("a stream beyond the limit was read")
    } catch {
      #expect(error.description == "cannot read '\(fifo)': more than 10,000 bytes from a stream (the limit); save the stream to a file and read that — expected a readable CSV file")
    }
  }
}
