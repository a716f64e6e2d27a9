"""Application configuration: the only place that reads the environment."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

# The placeholder used in development; production refuses to start with it.
DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105


class Config:
    """Development defaults, overridden by environment variables."""

    ENV_NAME = os.environ.get("APP_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'marketplace.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "30000"))

    DEBUG = False
    TESTING = False

    # Cookies: HttpOnly and SameSite everywhere, Secure outside development.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = ENV_NAME != "development"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = ENV_NAME != "development"

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 3600 * 8
    MAX_CONTENT_LENGTH = 60 * 1024 * 1024  # uploads (CSV imports) up to 60 MB

    # OWASP password storage floor: scrypt N=2^15, r=8, p=3.
    PASSWORD_HASH_METHOD = "scrypt:32768:8:3"  # noqa: S105 - a method name, not a secret

    # Login throttling (accounts.services.ThrottlePolicy): failures per account and address,
    # per address across accounts, and a growing delay on an account under attack.
    LOGIN_THROTTLE_MAX_FAILURES = 5
    LOGIN_THROTTLE_WINDOW = timedelta(minutes=15)
    LOGIN_THROTTLE_MAX_ADDRESS_FAILURES = 20
    LOGIN_THROTTLE_DELAY_AFTER = 5
    LOGIN_THROTTLE_MAX_DELAY = timedelta(minutes=2)
    # How many reverse proxies stand in front of the app: their X-Forwarded-For (and
    # -Proto, -Host) are trusted (Werkzeug's ProxyFix). 0: the client's own address.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    INVITATION_VALIDITY = timedelta(days=7)
    PASSWORD_RESET_VALIDITY = timedelta(hours=1)

    BABEL_DEFAULT_LOCALE = "fr"
    # The programme's timezone: `clock.today()`, the scheduler's cron times, dates shown.
    TIMEZONE = os.environ.get("TIMEZONE", "Europe/Paris")
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = ("fr", "en")

    # Scheduler: a lock holder silent this long is taken over; a waiting process
    # retries this often.
    SCHEDULER_LOCK_STALE_SECONDS = int(os.environ.get("SCHEDULER_LOCK_STALE_SECONDS", "90"))
    # A running job refreshes its run's heartbeat this often; silent for 3 beats = dead.
    JOB_HEARTBEAT_SECONDS = float(os.environ.get("JOB_HEARTBEAT_SECONDS", "30"))
    SCHEDULER_POLL_SECONDS = float(os.environ.get("SCHEDULER_POLL_SECONDS", "10"))

    # Sessions logged per transaction by log-delivered-days.
    LEDGER_BATCH_SIZE = int(os.environ.get("LEDGER_BATCH_SIZE", "10000"))

    # Matching: below this score nothing is proposed; at most this many offers per need.
    MATCH_MIN_SCORE = float(os.environ.get("MATCH_MIN_SCORE", "30"))
    MATCH_TOP = int(os.environ.get("MATCH_TOP", "5"))
    # Up to this many open offers a published listing is matched inside its request; beyond,
    # the request queues it and the match-queue job (every minute) matches it.
    MATCH_IN_REQUEST_OFFERS = int(os.environ.get("MATCH_IN_REQUEST_OFFERS", "2000"))

    # Mail: notifications are digested into the outbox table; the scheduler's
    # send-mails job sends it through SMTP only when MAIL_SERVER is set.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") == "1"
    # The address people reach the app at: links in mails are built from it.
    APP_BASE_URL = os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "noreply@marketplace.example")

    @classmethod
    def check(cls) -> None:
        """Refuse a production configuration that is not safe to run."""
        if cls.ENV_NAME == "production" and cls.SECRET_KEY in ("", DEV_SECRET_KEY):
            raise RuntimeError("SECRET_KEY must be set in production (APP_ENV=production).")


class ProductionConfig(Config):
    """Configuration used when APP_ENV=production."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


class TestConfig(Config):
    """Tests: a throw-away database and cheap hashing; CSRF stays on."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # Tests log in hundreds of times: a cheaper hash keeps the suite fast. The
    # production floor is asserted separately against Config.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105 - a method name
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


def config_for_env() -> type[Config]:
    """Pick the configuration class named by APP_ENV."""
    return ProductionConfig if os.environ.get("APP_ENV") == "production" else Config
