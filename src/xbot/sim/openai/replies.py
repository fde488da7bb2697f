"""What the fake OpenAI endpoint answers in normal mode (attacks: xbot.sim.openai.attacks).

Each text is a `str.format` template over the request's context: `{topic}`, `{author}`, `{word}`
(a word of the post), `{h}` (a hash of the request) and `{system}` (the system message).
"""

from __future__ import annotations

#: a plain reply is an opener naming the topic and a body, picked by different parts of the hash
OPENERS = (
    "Good question about {topic}!",
    "Thanks @{author}, {topic} is a good one.",
    "On {topic}:",
    "Interesting take on {topic}.",
    "Glad you asked about {topic}.",
    "Appreciate the mention, @{author}! About {topic}:",
    "Fair point about {word} and {topic}.",
    "Happy to help with {topic}.",
)
BODIES = (
    "Start small, measure, then adjust.",
    "The simplest setup that works is usually the right first step.",
    "You mentioned {word}; that is often the key detail.",
    "The official docs cover this well.",
    "It trips up many people at first, so you are in good company.",
    "I would check the defaults before changing anything else.",
    "A minimal example makes the problem much easier to see.",
    "What have you tried so far?",
    "Reading the error from the top usually points at the cause.",
    "Pinning versions tends to make this reproducible.",
)
