"""The demo: a realistic Lorraine programme to try the product on (`make run` loads it)."""

from marketplace.demo.data import ACCOUNTS
from marketplace.demo.load import database_is_empty, load_demo

__all__ = ["ACCOUNTS", "database_is_empty", "load_demo"]
