import ArgumentParser

/// The model file of a command that reads one and takes no other argument: `journey forecast
/// model.json` and `journey forecast --model model.json` are the same. (compare and score take
/// other files as arguments, so they spell the model `--model` only.)
struct ModelFileArgument: ParsableArguments {
  @Argument(help: ArgumentHelp("A model file written by `journey fit`.", valueName: "model"))
  var file: String?

  // Every command that reads a model takes `--model`: the same spelling works here.
  @Option(name: .customLong("model"), help: ArgumentHelp("The same, as the other commands spell it.", valueName: "model"))
  var option: String?

  /// Called from the command's own `validate`, which knows the name its example should show.
  func validate(command: String) throws {
    guard (file == nil) != (option == nil) else {
      throw ValidationError(file == nil ? "give the model file: journey \(command) model.json" : "give the model once: as an argument or with --model, not both")
    }
  }

  /// The model file given, either way.
  var path: String { file ?? option! }
}
