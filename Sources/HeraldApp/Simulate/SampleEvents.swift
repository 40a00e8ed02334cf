/// Built-in sample events for `herald simulate` (and, later, template previews): Clerk's
/// documented `email.created` / `sms.created` shapes with made-up ids.
enum SampleEvents {
    static let email = #"""
{
  "data": {
    "body": "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>482913 is your Example App verification code</title></head><body><table role=\"presentation\" width=\"100%\"><tr><td><p>Enter this code to continue signing in to Example App:</p><p style=\"font-size:28px;letter-spacing:6px\"><strong>482913</strong></p><p>Requested from Firefox, Linux at 21 August 2026, 09:15 UTC. If this wasn't you, ignore this email.</p></td></tr></table></body></html>",
    "body_plain": "482913 is your verification code for Example App.\n\nDo not share it with anyone.\n\nRequested at 21 August 2026, 09:15 UTC. If this wasn't you, ignore this email.\n",
    "data": {
      "app": {
        "domain_name": "example.com",
        "logo_image_url": "https://img.example.com/logo-512.png",
        "logo_url": null,
        "name": "Example App",
        "url": "https://accounts.example.com"
      },
      "otp_code": "482913",
      "requested_at": "21 August 2026, 09:15 UTC",
      "requested_by": "Firefox, Linux",
      "requested_from": "Lisbon, PT",
      "theme": {
        "button_text_color": "#ffffff",
        "primary_color": "#4f46e5",
        "show_clerk_branding": false
      },
      "user": {
        "public_metadata": {},
        "public_metadata_fallback": ""
      }
    },
    "delivered_by_clerk": false,
    "email_address_id": "idn_3Fq8ZpL2mN7xYc1RbT0vWd5EaGh",
    "from_email_name": "notifications",
    "id": "ema_3Fq8ZtK9wQ4sVb6NcX2yLm0PaJr",
    "object": "email",
    "reply_to_email_name": "support",
    "slug": "verification_code",
    "status": "queued",
    "subject": "482913 is your verification code",
    "to_email_address": "user@example.com",
    "user_id": "user_3Fq8ZmH1kR5tWe7GdY3uNp9QbCs"
  },
  "event_attributes": {
    "http_request": {
      "client_ip": "203.0.113.24",
      "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0"
    }
  },
  "instance_id": "ins_2Yx7WvU6tS5rQ4pO3nM2lK1jIh0",
  "object": "event",
  "timestamp": 1787303700123,
  "type": "email.created"
}
"""#

    static let sms = #"""
{
  "data": {
    "data": {
      "app": {
        "domain_name": "example.com",
        "name": "Example App",
        "url": "https://accounts.example.com"
      },
      "otp_code": "731055"
    },
    "delivered_by_clerk": false,
    "from_phone_number": "+15555550100",
    "id": "sms_3Fq90aB4cD6eF8gH0iJ2kL4mN6o",
    "message": "731055 is your verification code for Example App.",
    "object": "sms_message",
    "phone_number_id": "idn_3Fq90pQ1rS3tU5vW7xY9zA1bC3d",
    "slug": "verification_code",
    "status": "queued",
    "to_phone_number": "+15555550123",
    "user_id": "user_3Fq8ZmH1kR5tWe7GdY3uNp9QbCs"
  },
  "event_attributes": {
    "http_request": {
      "client_ip": "198.51.100.7",
      "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1"
    }
  },
  "instance_id": "ins_2Yx7WvU6tS5rQ4pO3nM2lK1jIh0",
  "object": "event",
  "timestamp": 1787303761456,
  "type": "sms.created"
}
"""#
}
