@testable import HeraldCurl
import HeraldCore
import Testing

/// libcurl's codes for an SMTP transfer, mapped once (``SMTPTransport/stage(_:)``): each
/// code that means something to delivery lands on its own stage; the rest keep their code.
@Suite struct SMTPStageTests {
    @Test(arguments: [
        (0, SMTPExchange.Stage.accepted),
        (6, .resolveFailed),  // CURLE_COULDNT_RESOLVE_HOST
        (5, .resolveFailed),  // CURLE_COULDNT_RESOLVE_PROXY
        (7, .connectFailed),  // CURLE_COULDNT_CONNECT
        (35, .tlsFailed(certificate: false)),  // CURLE_SSL_CONNECT_ERROR
        (60, .tlsFailed(certificate: true)),  // CURLE_PEER_FAILED_VERIFICATION
        (77, .tlsFailed(certificate: true)),  // CURLE_SSL_CACERT_BADFILE
        (64, .tlsNotOffered),  // CURLE_USE_SSL_FAILED
        (67, .loginDenied),  // CURLE_LOGIN_DENIED
        (8, .unexpectedReply),  // CURLE_WEIRD_SERVER_REPLY
        (9, .accessDenied),  // CURLE_REMOTE_ACCESS_DENIED
        (55, .sendFailed),  // CURLE_SEND_ERROR
        (56, .receiveFailed),  // CURLE_RECV_ERROR
        (52, .receiveFailed),  // CURLE_GOT_NOTHING
        (28, .timedOut),  // CURLE_OPERATION_TIMEDOUT
        (26, .other(26)),  // CURLE_READ_ERROR: kept as it is
        (1, .other(1)),  // CURLE_UNSUPPORTED_PROTOCOL
    ])
    func eachCodeHasItsStage(_ code: Int, _ stage: SMTPExchange.Stage) {
        #expect(SMTPTransport.stage(code) == stage)
    }
}
