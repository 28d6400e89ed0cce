/// Columns separated by runs of spaces and tabs, as in fixed-width exports and the CDNOW master
/// file (` 00001 19970101  1   11.77`), rewritten in place into tab-separated rows that the
/// ordinary scanner reads.
///
/// The rewrite keeps every byte where it was, so line and column numbers in messages stay those of
/// the file: each space or tab outside quotes becomes a space, and the last byte of a run between
/// two fields becomes a tab. Runs at the start or end of a line stay spaces, which the field
/// parsers trim. A quote opens a quoted field only where a field starts, as in CSV; inside one,
/// spaces and tabs are data.
///
/// The state carries over from one chunk to the next, so a run cut by a chunk boundary is read as
/// one: its last byte is then the byte just before the new chunk, which the reader keeps in front of
/// it (the unfinished row moves with its bytes).
struct WhitespaceColumns {
  /// The line has had a field: a run after it separates, unless the line ends first.
  private var fieldOnLine = false
  /// The bytes just read are a run of spaces or tabs outside quotes.
  private var inRun = false
  private var inQuotes = false
  /// The byte before was a closing quote: a quote now is the second of a doubled `""`.
  private var quoteJustClosed = false

  /// Rewrites `buffer[from ..< to]`, the bytes read after the ones rewritten before; it may also
  /// set `buffer[from - 1]`, the last byte of a run that the new bytes show to be a separator.
  mutating func rewrite(_ buffer: UnsafeMutablePointer<UInt8>, from: Int, to: Int) {
    for i in from..<to {
      let b = buffer[i]
      if inQuotes {
        if b == 0x22 {
          inQuotes = false
          quoteJustClosed = true
        }
        continue
      }
      let afterClosingQuote = quoteJustClosed
      quoteJustClosed = false
      switch b {
      case 0x20, 0x09:
        buffer[i] = 0x20
        inRun = true
      case 0x0A, 0x0D:
        fieldOnLine = false
        inRun = false
      default:
        let startsField = !fieldOnLine || inRun
        // The run's last byte is a space here unless a too-long row was dropped in between.
        if inRun && fieldOnLine && i > 0 && buffer[i - 1] == 0x20 { buffer[i - 1] = 0x09 }
        // A doubled quote `""` inside a quoted field closes it and opens it again.
        if b == 0x22 && (startsField || afterClosingQuote) { inQuotes = true }
        inRun = false
        fieldOnLine = true
      }
    }
  }

  /// Whether a header line looks whitespace-separated: none of the delimiters that are detected
  /// (comma, semicolon, tab, pipe) outside quotes, and two or more words.
  static func looksSeparated(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    var inQuotes = false
    var words = 0
    var inWord = false
    for b in line {
      if b == 0x22 { inQuotes.toggle() }
      if inQuotes {
        if !inWord { words += 1; inWord = true }
        continue
      }
      switch b {
      case 0x2C, 0x3B, 0x09, 0x7C: return false
      case 0x20, 0x0D: inWord = false
      default:
        if !inWord { words += 1; inWord = true }
      }
    }
    return words >= 2
  }
}
