"""xbot: auditable reply bots whose every post can be proven."""

__version__ = "0.1.0"
