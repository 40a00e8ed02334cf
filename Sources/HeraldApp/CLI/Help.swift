/// Help texts for `herald help [COMMAND]`.
enum Help {
    static let overview = """
        herald: delivery gateway for Clerk's email.created / sms.created webhooks

        Usage: herald <command> [options]

        Commands:
          serve       receive signed webhooks and store them (the gateway)
          log         list messages, newest first; --follow streams changes
          show        one message with its history and attempts
          retry       put failed, expired or cancelled messages back in the queue
          cancel      stop queued or retrying messages
          prune       delete old finished messages now (serve does it hourly)
          simulate    sign and post a realistic Clerk event, for local testing
          render      show exactly what would be sent for a slug (or render any template)
          check       validate the configuration and every template
          status      each provider's circuit, attempts, success and latency; the queue
          version     print the version
          help        this text, or 'herald help <command>'

        Configuration comes from the environment (HERALD_LISTEN, HERALD_DATABASE,
        HERALD_WEBHOOK_SECRET, ...) over config/herald.json; see README.md.

        """

    static func command(_ name: String) -> String? {
        switch name {
        case "serve": serve
        case "log": log
        case "show": show
        case "simulate": simulate
        case "render": render
        case "retry": "Usage: herald retry ID... | herald retry --failed\n\nRequeues failed, expired or cancelled messages (--failed: every failed one), with a\nfresh age window.\n"
        case "cancel": "Usage: herald cancel ID...\n\nCancels queued or retrying messages.\n"
        case "prune": prune
        case "check": check
        case "status": status
        case "version": "Usage: herald version\n"
        case "help": "Usage: herald help [COMMAND]\n"
        default: nil
        }
    }

    static let serve = """
        Usage: herald serve [--dev] [--no-delivery]

        Receives webhooks at POST <webhook_path> (default /webhooks/clerk), verifies their
        Svix signatures, and answers 2xx once the message is durably stored.
        Also serves GET /healthz and GET /metrics.

          --dev    development run: accept the built-in development secret (and use it
                   when no secret is set). Never use in production.
          --no-delivery
                   intake only (also HERALD_DELIVERY=off): store and acknowledge, send
                   nothing; another `herald serve` on the same database delivers.

        Stops cleanly on SIGTERM or SIGINT: stops intake, finishes requests in flight,
        closes the store.

        """

    static let prune = """
        Usage: herald prune [--older-than 30d] [--dry-run]

        Deletes messages in a final state (sent, failed, expired, cancelled, skipped) that
        arrived longer ago than the retention period (HERALD_RETENTION, default 30d), with
        their stored event, history and attempts. Queued, sending and retrying messages are
        never deleted. `herald serve` does the same at start and every hour.

          --older-than D   a duration such as 7d or 12h instead of the retention period
          --dry-run        only count what would be deleted

        """

    static let log = """
        Usage: herald log [--status S] [--channel email|sms] [--slug S] [--to ADDR]
                          [--since 30m|2h|7d] [--limit N] [--json] [--follow]

        Lists messages, newest first: an aligned table on a terminal, tab-separated
        values otherwise, one JSON object per line with --json. --follow prints the
        matching messages, oldest first, then each state change as it happens.

        """

    static let show = """
        Usage: herald show ID [--json]

        Shows one message and its history. ID is the message number, the webhook id
        (msg_...) or Clerk's id (ema_..., sms_...).

        """

    static let render = """
        Usage: herald render email|sms SLUG [--event FILE | --data FILE] [--locale L]
                                            [--part subject|html|text] [--out FILE]
               herald render --template FILE --data FILE [--partials DIR]

        The first form renders exactly what would be sent for SLUG from the templates
        folder, using a built-in sample event (or --event FILE, a whole Clerk event, or
        --data FILE, just the template variables), and says when Clerk's own rendering
        would be sent instead, and why. --part prints one part as is.
        The second form renders any template file with JSON data (HTML escaping on),
        with partials from DIR (NAME.mustache).

        """

    static let status = """
        Usage: herald status [--json]

        One screen for an operator: each provider with its circuit (closed, open until
        when, half_open: from the running serve's GET /status; '?' when none answers),
        attempts, success ratio and latency p50/p99 over the last 5 and 60 minutes and its
        last error (from the store: every process sharing it); the queue by status and how
        long the oldest queued message has waited. --json prints the same as GET /status.

        """

    static let check = """
        Usage: herald check [--relay] [--providers]

        Validates the configuration and every template: syntax (with line and column),
        partials that exist, variables Clerk does not send, that each template renders
        with the sample data, and SMS length in GSM-7 / UCS-2 segments; and the routing
        rules (routes): providers that are not configured for a rule's channel, rules
        that can never match. Exits 1 on any problem.

          --relay      also connect to the SMTP relay (HERALD_SMTP_URL) as a send would:
                       TLS and its certificate, AUTH, then NOOP. Nothing is sent.
          --providers  also ask every configured provider (HERALD_EMAIL_URL, HERALD_SMS_URL)
                       a question that sends nothing: the account, domain, sender or
                       balance, so a wrong key or a missing permission shows now.

        """

    static let simulate = """
        Usage: herald simulate email|sms [--slug S] [--to ADDR] [--event FILE [--now]] [--url URL]
                                         [--id MSG_ID] [--delivered-by-clerk]

        Builds a realistic Clerk event (or reads FILE, sent byte for byte unless --slug or
        --to change it), signs it with the configured secret (the development secret when
        none is set) and posts it to the local gateway, or to URL.
        --id reuses a webhook id, to see deduplication at work (FILE sent twice is a
        duplicate too: one Clerk message id is stored once). A message's age counts
        from the event's timestamp (when Clerk created it): --now gives an old event file
        the current time and a new Clerk id, so that it arrives as a new message whose
        code is not expired.

        """
}
