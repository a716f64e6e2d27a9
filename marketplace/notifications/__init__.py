"""In-app notifications (the bell) and the e-mail outbox they are digested into."""
