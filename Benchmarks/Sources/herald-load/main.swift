import CBenchCrypto
import Foundation
import Synchronization

// herald-load: closed-loop HTTP/1.1 keep-alive load against a webhook endpoint.
// Every request is a distinct, freshly signed Svix webhook (unique svix-id, current
// timestamp), so every request is a new durable row on the server.
//
// Usage: herald-load --port P | --ports P1,P2,... [--host 127.0.0.1] [--path /webhooks/clerk]
//                    --secret whsec_... --body FILE [--connections N] [--seconds S]
//                    [--warmup S] [--label NAME] [--rate R]
// --ports: several instances of Herald, the connections spread over them in turn.
// --rate R: open-loop-ish pacing at R requests/s in total (for latency at a steady load).
// Requests are signed before the clock starts (at most --max-requests, default 300,000;
// the run ends early, and says so, if they run out), so the client spends its time on I/O.
// Prints one JSON object: requests, errors, rps, p50/p90/p99/max latency (ms).

struct Options {
    var host = "127.0.0.1"
    var ports: [UInt16] = [8787]
    var path = "/webhooks/clerk"
    var secret = ""
    var body: [UInt8] = []
    var connections = 16
    var seconds = 10.0
    var warmup = 1.0
    var label = "run"
    var rate: Double? = nil
    var maxRequests = 300_000

    init(_ arguments: [String]) {
        var index = 0
        func next() -> String {
            index += 1
            guard index < arguments.count else { fatalError("missing value for \(arguments[index - 1])") }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--host": host = next()
            case "--port": ports = [UInt16(next())!]
            case "--ports": ports = next().split(separator: ",").map { UInt16($0)! }
            case "--path": path = next()
            case "--secret": secret = next()
            case "--body": body = restamped([UInt8](FileManager.default.contents(atPath: next())!))
            case "--connections": connections = Int(next())!
            case "--seconds": seconds = Double(next())!
            case "--warmup": warmup = Double(next())!
            case "--label": label = next()
            case "--rate": rate = Double(next())!
            case "--max-requests": maxRequests = Int(next())!
            default: fatalError("unknown argument \(arguments[index])")
            }
            index += 1
        }
    }
}

/// The event as Clerk would send it now: Herald counts a message's age from the event's
/// `timestamp`, so a sample file's old one would make every code expire unsent.
func restamped(_ body: [UInt8]) -> [UInt8] {
    let text = String(decoding: body, as: UTF8.self)
    guard let range = text.range(of: #""timestamp": *\d+"#, options: .regularExpression) else { return body }
    return Array(text.replacingCharacters(in: range, with: "\"timestamp\": \(UInt64(Date().timeIntervalSince1970 * 1000))").utf8)
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
var secretText = options.secret
if secretText.hasPrefix("whsec_") { secretText.removeFirst(6) }
let key = [UInt8](Data(base64Encoded: secretText)!)
let runID = String(UInt64(Date().timeIntervalSince1970 * 1000), radix: 36)

func sign(_ id: String, _ timestamp: String, _ body: [UInt8]) -> String {
    var content = Array("\(id).\(timestamp).".utf8)
    content += body
    var out = [UInt8](repeating: 0, count: 64)
    var length: UInt32 = 0
    _ = HMAC(EVP_sha256(), key, Int32(key.count), content, content.count, &out, &length)
    return "v1," + Data(out.prefix(Int(length))).base64EncodedString()
}

let signedAt = String(Int(Date().timeIntervalSince1970))

/// The body with Clerk's message id (`"id": "ema_..."` / `"sms_..."`) made unique for this
/// webhook: Herald stores one Clerk message once, whatever webhook id it comes under, so
/// every request must be a message of its own to count.
func body(for id: String) -> [UInt8] {
    let text = String(decoding: options.body, as: UTF8.self)
    guard let range = text.range(of: #""id": *"(ema|sms)_[A-Za-z0-9]+""#, options: .regularExpression) else { return options.body }
    let prefix = text[range].contains("\"sms_") ? "sms_" : "ema_"
    let unique = prefix + id.filter { $0.isLetter || $0.isNumber }
    return Array(text.replacingCharacters(in: range, with: "\"id\": \"\(unique)\"").utf8)
}

func request(_ id: String) -> [UInt8] {
    let timestamp = signedAt
    let payload = body(for: id)
    let head = "POST \(options.path) HTTP/1.1\r\nHost: \(options.host)\r\nContent-Type: application/json\r\n"
        + "Content-Length: \(payload.count)\r\nsvix-id: \(id)\r\nsvix-timestamp: \(timestamp)\r\n"
        + "svix-signature: \(sign(id, timestamp, payload))\r\n\r\n"
    return Array(head.utf8) + payload
}

func connectSocket(_ port: UInt16) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr(options.host)
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if rc != 0 { close(fd); return -1 }
    return fd
}

/// Reads one HTTP response; returns its status, or nil when the connection broke. Works
/// on the bytes as they come (no String per response): the load generator shares the
/// cores with the system it measures, so every microsecond it spends is taken from it.
func readResponse(_ fd: Int32, _ buffer: inout [UInt8]) -> Int? {
    var filled = 0
    var headerEnd: Int? = nil
    var contentLength = 0
    while true {
        if let end = headerEnd, filled >= end + contentLength {
            return statusCode(buffer, filled)
        }
        if filled == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, $0.count - filled, 0) }
        if count <= 0 { return nil }
        let searchFrom = max(filled - 3, 0)
        filled += count
        if headerEnd == nil, let end = findHeaderEnd(buffer, from: searchFrom, to: filled) {
            headerEnd = end
            contentLength = contentLengthValue(buffer, end) ?? 0
        }
    }
}

/// The three digits after "HTTP/1.1 ".
func statusCode(_ bytes: [UInt8], _ count: Int) -> Int? {
    guard count >= 12 else { return nil }
    var code = 0
    for index in 9..<12 {
        let digit = Int(bytes[index]) - 48
        guard (0...9).contains(digit) else { return nil }
        code = code * 10 + digit
    }
    return code
}

func findHeaderEnd(_ data: [UInt8], from: Int, to: Int) -> Int? {
    guard to - from >= 4 else { return nil }
    for index in from...(to - 4) where data[index] == 13 && data[index + 1] == 10 && data[index + 2] == 13 && data[index + 3] == 10 {
        return index + 4
    }
    return nil
}

/// The value of a Content-Length line (any case) in the head that ends at `end`.
func contentLengthValue(_ data: [UInt8], _ end: Int) -> Int? {
    let name = Array("content-length:".utf8)
    var line = 0
    while line < end {
        var next = line
        while next < end && data[next] != 10 { next += 1 }
        if next - line > name.count, (0..<name.count).allSatisfy({ data[line + $0] | 0x20 == name[$0] | 0x20 }) {
            var value = 0
            var index = line + name.count
            while index < next && data[index] == 32 { index += 1 }
            while index < next, (48...57).contains(data[index]) {
                value = value * 10 + Int(data[index]) - 48
                index += 1
            }
            return value
        }
        line = next + 1
    }
    return nil
}

final class Results: Sendable {
    let latencies = Mutex<[Double]>([])
    let errors = Atomic<Int>(0)
    let counter = Atomic<Int>(0)
}

let pool = (0..<options.maxRequests).map { request("msg_load_\(runID)_\($0)") }
let results = Results()
let start = Date()
let measureFrom = start.addingTimeInterval(options.warmup)
let stopAt = measureFrom.addingTimeInterval(options.seconds)
let perConnectionInterval = options.rate.map { Double(options.connections) / $0 }

let threads = (0..<options.connections).map { connection in
    Thread {
        let port = options.ports[connection % options.ports.count]
        var fd = connectSocket(port)
        var buffer = [UInt8](repeating: 0, count: 65536)
        var local: [Double] = []
        var nextSend = Date().addingTimeInterval(Double(connection) * (perConnectionInterval ?? 0) / Double(options.connections))
        while Date() < stopAt {
            if let interval = perConnectionInterval {
                let wait = nextSend.timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                nextSend = nextSend.addingTimeInterval(interval)
            }
            if fd < 0 { fd = connectSocket(port); if fd < 0 { results.errors.add(1, ordering: .relaxed); Thread.sleep(forTimeInterval: 0.01); continue } }
            let number = results.counter.add(1, ordering: .relaxed).newValue - 1
            guard number < pool.count else { break }
            let bytes = pool[number]
            let began = Date()
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                sent += n
            }
            let status = sent == bytes.count ? readResponse(fd, &buffer) : nil
            let elapsed = Date().timeIntervalSince(began) * 1000
            if status == nil { close(fd); fd = -1 }
            if began >= measureFrom && began < stopAt {
                if status.map({ (200..<300).contains($0) }) == true {
                    local.append(elapsed)
                } else {
                    results.errors.add(1, ordering: .relaxed)
                }
            }
        }
        if fd >= 0 { close(fd) }
        results.latencies.withLock { $0 += local }
    }
}
threads.forEach { $0.start() }
while threads.contains(where: { !$0.isFinished }) { Thread.sleep(forTimeInterval: 0.05) }

let latencies = results.latencies.withLock { $0.sorted() }
func percentile(_ p: Double) -> Double {
    guard !latencies.isEmpty else { return 0 }
    return latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
}
let exhausted = results.counter.load(ordering: .relaxed) > pool.count
if exhausted { FileHandle.standardError.write(Data("herald-load: ran out of pre-signed requests; raise --max-requests\n".utf8)) }
let rps = Double(latencies.count) / options.seconds
print(String(format: #"{"label":"%@","connections":%d,"seconds":%.1f,"requests":%d,"errors":%d,"rps":%.0f,"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}"#,
    options.label, options.connections, options.seconds, latencies.count, results.errors.load(ordering: .relaxed), rps,
    percentile(0.50), percentile(0.90), percentile(0.99), latencies.last ?? 0))
