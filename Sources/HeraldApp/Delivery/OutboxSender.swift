import Foundation
public import HeraldCore

/// The local provider: writes each email as `email/<id>.eml` and each SMS as
/// `sms/<id>.json` under the outbox folder, durably (temporary file, fsync, rename, fsync
/// of the folder), and counts that as delivered. They hold sign-in codes and phone
/// numbers: the folders it creates are 0700 and the files 0600, whatever the umask. The default when no provider is set, so
/// a fresh `make run` delivers somewhere you can look.
public final class OutboxSender: MessageSender {
    public let name: String
    public let kind = "outbox"
    public let root: String

    public init(root: String, name: String = "outbox") {
        self.root = root
        self.name = name
    }

    public func send(_ message: OutgoingMessage, context: SendContext) -> DeliveryOutcome {
        let messageID = context.messageID
        let folder: String
        let file: String
        let bytes: [UInt8]
        switch message {
        case .email(let email):
            folder = root + "/email"
            file = "\(messageID).eml"
            bytes = email.mime()
        case .sms(let sms):
            folder = root + "/sms"
            file = "\(messageID).json"
            bytes = Array("{\"id\":\(messageID),\"to\":\(JSONValue.quote(sms.to)),\"text\":\(JSONValue.quote(sms.text))}\n".utf8)
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try Self.writeDurably(bytes, to: folder + "/" + file, folder: folder)
            return .delivered(providerID: "\(folder.hasPrefix(root) ? String(folder.dropFirst(root.count + 1)) : folder)/\(file)", code: nil)
        } catch {
            return .retryable(.writeFailed, code: nil, retryAfter: nil)
        }
    }

    static func writeDurably(_ bytes: [UInt8], to path: String, folder: String) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        guard fchmod(fd, 0o600) == 0 else {
            close(fd)
            unlink(temporary)
            throw POSIXError(.EPERM)
        }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count <= 0 {
                close(fd)
                unlink(temporary)
                throw POSIXError(.EIO)
            }
            written += count
        }
        guard fsync(fd) == 0, close(fd) == 0 else {
            unlink(temporary)
            throw POSIXError(.EIO)
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw POSIXError(.EIO)
        }
        let directory = open(folder, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}
