import HeraldCore
import HeraldProviders
import Testing

/// Reading an AWS error out of any of its protocols, and masking what it names.
@Suite struct AWSErrorTests {
    static func answer(_ status: Int, _ body: String, _ headers: [HTTPField] = []) -> HTTPAnswer {
        HTTPAnswer(status: status, headers: headers, body: Array(body.utf8))
    }

    @Test(arguments: [
        (answer(400, #"{"message":"m"}"#, [HTTPField("X-Amzn-ErrorType", "MessageRejected:http://internal.amazon.com/coral/")]), "MessageRejected", "m"),
        (answer(400, #"{"__type":"com.amazonaws.sesv2#BadRequestException","Message":"M"}"#), "BadRequestException", "M"),
        (answer(400, #"{"code":"ThrottlingException","message":"slow"}"#), "ThrottlingException", "slow"),
        (answer(400, #"{"Code":"LimitExceededException"}"#), "LimitExceededException", nil),
        (answer(403, "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>no &amp; no</Message></Error></Errors></ErrorResponse>"),
         "AccessDenied", "no & no"),
        (answer(400, "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code></Error><RequestId>r</RequestId></ErrorResponse>"),
         "InvalidParameter", nil),
        (answer(503, "Service Unavailable"), nil, nil),
        (answer(400, #"{"__type":"  "}"#), nil, nil),
    ] as [(HTTPAnswer, String?, String?)])
    func awsErrorsAreReadFromEveryProtocol(_ answer: HTTPAnswer, _ code: String?, _ message: String?) {
        let error = AWSError(answer)
        #expect(error.code == code)
        #expect(error.message == message)
    }

    @Test func theDetailMasksAddressesAndNumbers() {
        let error = AWSError(
            code: "MessageRejected", message: "Identities failed: jane@example.org, +1 (555) 555-0100 and +15555550100. Region EU-WEST-1, 200 a day")
        #expect(error.detail == "Identities failed: <address> +1 (555) <number> and <number> Region EU-WEST-1, 200 a day")
        #expect(AWSError(code: nil, message: "  ").detail == nil)
    }
}
