"""Reply generators (DESIGN §10): `bank` (curated, offline, the default) and `llm`."""

from xbot.generate.bank import BankGenerator, load_bank
from xbot.generate.factory import build_generator
from xbot.generate.llm import LlmGenerator

__all__ = ["BankGenerator", "LlmGenerator", "build_generator", "load_bank"]
