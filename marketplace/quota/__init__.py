"""The quota's bookkeeping: every move of reserved and delivered days, in one place."""
