/// Who made a commit and when.
package struct Signature: Sendable, Equatable {
  package var name: String
  package var email: String
  /// Seconds since 1970.
  package var time: Int64
  /// Offset from UTC in minutes.
  package var offsetMinutes: Int

  package init(name: String, email: String, time: Int64, offsetMinutes: Int) {
    self.name = name
    self.email = email
    self.time = time
    self.offsetMinutes = offsetMinutes
  }

  /// `Name <email> 1700000000 +0100`, as in a commit object.
  package var raw: String {
    let sign = offsetMinutes < 0 ? "-" : "+"
    let magnitude = abs(offsetMinutes)
    let hours = magnitude / 60
    let minutes = magnitude % 60
    let hh = hours < 10 ? "0\(hours)" : "\(hours)"
    let mm = minutes < 10 ? "0\(minutes)" : "\(minutes)"
    return "\(name) <\(email)> \(time) \(sign)\(hh)\(mm)"
  }
}

/// A commit read from the object database.
package struct Commit: Sendable, Equatable {
  package var id: ObjectID
  package var tree: ObjectID
  package var parents: [ObjectID]
  package var author: Signature
  package var committer: Signature
  package var message: String

  /// The first line of the message.
  package var summary: String {
    String(
      message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
  }

  /// The raw bytes of a commit object.
  package static func serialize(
    tree: ObjectID, parents: [ObjectID], author: Signature, committer: Signature, message: String
  ) -> [UInt8] {
    var text = "tree \(tree.hex)\n"
    for parent in parents { text += "parent \(parent.hex)\n" }
    text += "author \(author.raw)\ncommitter \(committer.raw)\n\n"
    text += message.hasSuffix("\n") ? message : message + "\n"
    return Array(text.utf8)
  }
}
