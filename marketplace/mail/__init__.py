"""Mail: the outbox, the secrets some mails carry, sending through SMTP."""
