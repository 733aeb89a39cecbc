"""Random test namespace names in Chainsaw's style: `chainsaw-<adjective>-<noun>`."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "able", "bold", "brave", "calm", "clever", "cosmic", "crisp", "daring", "eager", "fair",
    "fancy", "gentle", "glad", "grand", "happy", "humble", "jolly", "keen", "kind", "lively",
    "lucky", "merry", "mighty", "neat", "noble", "polite", "proud", "quick", "quiet", "rapid",
    "sharp", "shiny", "smart", "steady", "sunny", "swift", "tidy", "vivid", "warm", "witty",
)  # fmt: skip
_NOUNS = (
    "badger", "bat", "bear", "beetle", "bison", "cat", "crane", "crow", "deer", "dingo",
    "eagle", "egret", "falcon", "ferret", "finch", "fox", "gecko", "goat", "hare", "hawk",
    "heron", "ibis", "koala", "lark", "lemur", "lynx", "mole", "moose", "newt", "otter",
    "owl", "panda", "puffin", "quail", "raven", "seal", "shark", "swan", "tiger", "wren",
)  # fmt: skip


def random_namespace(rng: random.Random | None = None) -> str:
    pick = rng or random.SystemRandom()
    return f"chainsaw-{pick.choice(_ADJECTIVES)}-{pick.choice(_NOUNS)}"
