/// The template slugs Clerk is known to send (../shared/reference/clerk-svix.md §5), per
/// channel. `herald check` names a routing rule's slug outside them, which can never match.
/// Clerk adds templates over time: a slug it starts sending belongs here.
public enum ClerkSlugs {
    public static let email: Set<String> = [
        "verification_code", "reset_password_code", "magic_link_sign_in", "magic_link_sign_up", "magic_link_user_profile",
        "invitation", "waitlist_invitation", "password_changed", "password_removed", "primary_email_address_changed",
        "passkey_added", "passkey_removed", "organization_invitation", "organization_invitation_accepted", "waitlist_confirmation",
        "new_device_sign_in", "account_locked",
    ]

    public static let sms: Set<String> = [
        "verification_code", "reset_password_code", "invitation", "password_changed", "password_removed", "passkey_added",
        "passkey_removed",
    ]

    public static func slugs(for channel: Channel) -> Set<String> {
        channel == .email ? email : sms
    }
}
