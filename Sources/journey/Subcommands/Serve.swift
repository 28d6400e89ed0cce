import ArgumentParser
import Foundation
import JourneyKit
import JourneyServe

extension JourneyCommand {
  struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "The planner's workspace in the browser: edit scenarios and see the comparison change.",
      discussion: """
        Serves a local web page with the model's segments and moves, its baseline forecast, \
        the levers ranked in money, and an editor for the scenario files of --scenarios whose \
        comparison updates as you type. The numbers are journey compare's for the same files, \
        --horizon, --replicates and --seed. Scenarios save as YAML into the scenarios folder; \
        the comparison downloads as the HTML or Markdown report. With --data, the rollout \
        evaluation and the backtest of that file open from the page.

        Listens on 127.0.0.1 (this machine only) unless --host says otherwise. Ctrl-C stops it.

        Example:
          journey serve --model demo/model.json --scenarios scenarios
          journey serve --model model.json --data transactions.csv --scenarios plans --port 8090 --horizon 24
        """
    )

    @OptionGroup var model: ModelFileArgument
    @OptionGroup var forecast: ForecastFlags
    @OptionGroup var replicates: ReplicateFlags

    @Option(help: "Folder of scenario files (YAML) to open, and to save into.")
    var scenarios: String = "scenarios"

    @Option(help: "The transaction file the model was fitted on: lets the page open the rollout evaluation and the backtest.")
    var data: String?

    @Option(help: "Address to listen on; anything but 127.0.0.1 lets other machines reach the workspace.")
    var host: String = "127.0.0.1"

    @Option(parsing: .unconditional, help: "Port to listen on (0: any free port).")
    var port: Int = 8080

    func validate() throws {
      try model.validate(command: "serve")
      guard (0...65535).contains(port) else { throw ValidationError("--port: '\(port)' must be from 0 to 65535") }
      guard !host.isEmpty else { throw ValidationError("--host: give an address such as 127.0.0.1") }
      // The baseline and a scenario beside it; the workspace keeps fewer old forecasts when they are large.
      try replicates.checkVolume(forecast, runs: 2)
    }

    func run() throws {
      let fitted = try MarkovModel.load(path: model.path)
      let folder: ScenarioFolder
      do {
        folder = try ScenarioFolder(path: scenarios)
      } catch let error as ScenarioFolderError {
        throw ValidationError("--scenarios: \(error)")
      }
      let ingest = try data.map { try TransactionReader().read(path: $0) }
      let workspace = try Workspace(
        model: fitted, modelPath: model.path, scenarios: folder, options: replicates.options(forecast), data: ingest, dataPath: data)
      let server = WorkspaceServer(workspace: workspace, host: host, port: port)
      if host != "127.0.0.1" && host != "localhost" && host != "::1" {
        printError("Warning: listening on \(host): other machines can reach the workspace; writes still need the page's token.")
      }
      let shownHost = host.contains(":") ? "[\(host)]" : host
      try server.runBlocking { port in
        let line = "Journey workspace: http://\(shownHost):\(port)/  (model \(model.path), scenarios \(folder.path)); Ctrl-C stops it.\n"
        FileHandle.standardOutput.write(Data(line.utf8))
      }
    }
  }
}
