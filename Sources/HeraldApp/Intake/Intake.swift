import Foundation
public import HeraldCore

/// Clerk's webhooks (the other routes are in ``Routes``). Runs on the HTTP server's event
/// threads: verification and decoding happen there; the store write joins the next group
/// commit, and the answer (2xx) is sent only once that commit is durable. No thread waits.
public final class Intake: HTTPHandler {
    private let verifier: WebhookVerifier
    private let store: any IntakeStore
    private let webhookPath: String
    private let logger: Logger
    public let metrics: Metrics
    private let now: @Sendable () -> Int64
    /// Told the id of each new queued message once it is durable (the delivery engine listens).
    private let onQueued: @Sendable (Int64) -> Void

    public init(
        verifier: WebhookVerifier, store: any IntakeStore, webhookPath: String, logger: Logger, metrics: Metrics = Metrics(),
        now: @escaping @Sendable () -> Int64 = Clock.nowMilliseconds, onQueued: @escaping @Sendable (Int64) -> Void = { _ in }
    ) {
        self.onQueued = onQueued
        self.verifier = verifier
        self.store = store
        self.webhookPath = webhookPath
        self.logger = logger
        self.metrics = metrics
        self.now = now
    }

    /// A request to the webhook path.
    public func handle(_ request: HTTPRequest) -> HandlerResult {
        guard request.method == "POST" else {
            return .respond(.error(405, code: "method_not_allowed", message: "use POST", headers: ["Allow": "POST"]))
        }
        return receiveWebhook(request)
    }

    public func serverRejected(_ request: HTTPRequest, status: Int, reason: String) {
        guard request.path == webhookPath else { return }
        reject(request, status: status, code: reason, webhookID: nil)
    }

    private func receiveWebhook(_ request: HTTPRequest) -> HandlerResult {
        let receivedAt = now()
        let headers: SignatureHeaders
        do {
            headers = try verifier.verify(headers: request.header, body: request.body, now: receivedAt / 1000)
        } catch {
            let webhookID = request.header("svix-id") ?? request.header("webhook-id")
            reject(request, status: error.httpStatus, code: error.code, webhookID: webhookID)
            return .respond(.error(error.httpStatus, code: error.code, message: Self.explain(error)))
        }
        let webhookID = headers.id
        let body = request.body
        switch ClerkEvent.decide(body: body) {
        case .ignore(let eventType):
            return .later { [store, metrics, logger] respond in
                store.countIgnoredEvent(type: eventType, at: receivedAt) { result in
                    switch result {
                    case .failure(let error):
                        respond(self.storeFailed(error, webhookID: webhookID))
                    case .success:
                        metrics.countWebhook("ignored")
                        logger.info("webhook ignored", ["webhook.id": webhookID, "event.type": eventType])
                        respond(.json(200, "{\"ignored\":true,\"event_type\":\(JSONValue.quote(eventType))}"))
                    }
                }
            }
        case .record(let draft):
            return .later { [store] respond in
                store.insert(draft, webhookID: webhookID, payload: body, at: receivedAt) { result in
                    switch result {
                    case .failure(let error): respond(self.storeFailed(error, webhookID: webhookID))
                    case .success(let outcome): respond(self.stored(outcome, draft: draft, webhookID: webhookID))
                    }
                }
            }
        }
    }

    private func stored(_ outcome: InsertOutcome, draft: MessageDraft, webhookID: String) -> HTTPResponse {
        if !outcome.duplicate && outcome.status == .queued { onQueued(outcome.id) }
        metrics.countWebhook(outcome.duplicate ? "duplicate" : outcome.status.rawValue)
        if logger.level <= .warning {
            var metadata: Logger.Metadata = [
                "webhook.id": webhookID, "message.id": String(outcome.id), "message.status": outcome.status.rawValue,
                "event.type": draft.eventType,
            ]
            if let slug = draft.slug { metadata["message.slug"] = slug }
            if let reason = draft.reason, !outcome.duplicate { metadata["reason"] = reason }
            if outcome.duplicate {
                logger.info("webhook duplicate", metadata)
            } else if draft.status == .failed {
                logger.warning("webhook unusable", metadata)
            } else {
                logger.info("webhook accepted", metadata)
            }
        }
        return .json(200, "{\"id\":\(outcome.id),\"status\":\"\(outcome.status.rawValue)\",\"duplicate\":\(outcome.duplicate)}")
    }

    private func storeFailed(_ error: StoreError, webhookID: String) -> HTTPResponse {
        metrics.countWebhook("store_error")
        logger.error("webhook not stored", ["webhook.id": webhookID, "error": error.description, "error.kind": error.kind.rawValue])
        // Not 2xx either way: the sender keeps the event and retries it. What the store cannot
        // take now is a 503 with Retry-After; anything else is a bug, and says so.
        guard error.isTemporary || error.kind == .corrupt else {
            return .error(500, code: "internal_error", message: "the event could not be stored", headers: ["Retry-After": "30"])
        }
        return .error(503, code: "store_unavailable", message: "the event could not be stored; retry later", headers: ["Retry-After": "5"])
    }

    private func reject(_ request: HTTPRequest, status: Int, code: String, webhookID: String?) {
        metrics.countWebhook("rejected_\(code)")
        var metadata: Logger.Metadata = ["http.status": String(status), "reason": code]
        if let address = request.remoteAddress { metadata["remote.ip"] = address }
        if let webhookID { metadata["webhook.id"] = String(webhookID.prefix(64)) }
        logger.warning("webhook rejected", metadata)
    }

    static func explain(_ error: SignatureError) -> String {
        switch error {
        case .missingHeaders(let names): "missing header(s): \(names.joined(separator: ", "))"
        case .malformedHeader(let name): "malformed header: \(name)"
        case .timestampTooOld: "timestamp is more than 5 minutes old"
        case .timestampTooNew: "timestamp is more than 5 minutes in the future"
        case .noMatchingSignature: "no signature matches"
        }
    }
}
