"""Risk phrases: flags for a practitioner, never blocks.

Four families, all reported as kind `risk`:
- threats ("you'll regret", "I will hurt", "watch your back", "you're dead");
- knowing where someone is ("I know where you live", "I drove past your house");
- pressure to meet or talk outside the process ("meet me", "come and see me", "let's talk
  without them", "don't tell the facilitator");
- self-harm signals ("I want to end it", "kill myself", "no reason to live").

Letters in restorative justice are full of the same verbs in apology ("I would never hurt you",
"I don't think you'll regret meeting"), so threat and meeting phrases are skipped when a
negation or "hope/promise" comes just before them. Self-harm phrases are always flagged:
"I don't want to kill myself" is still something a practitioner should read.
"""

from __future__ import annotations

import re

from moderation.findings import Finding
from moderation.normalise import normalise

_YOU = r"(?:you|u|ya|your\s+(?:family|kids|mum|mother|dad|sister|brother|wife|husband))"
_WILL = (
    r"(?:i'?ll|i\s+will|i\s+shall|i'?m\s+(?:going\s+to|gonna)|i\s+am\s+(?:going\s+to|gonna)|"
    r"we'?ll|we\s+will|gonna)"
)

# (triggers, pattern): every match of the pattern contains one of the "|"-separated triggers.
# Triggers are found with str.find and the pattern only runs in a small window around each,
# so a letter costs a few substring searches instead of one regex scan per phrase.
_THREATS = [
    (
        "regret|be sorry|pay",
        rf"\b{_YOU}(?:'ll|\s+will|'re\s+going\s+to|\s+are\s+going\s+to)\s+"
        r"(?:regret|be\s+sorry|pay)",
    ),
    (
        "hurt|kill|batter|smash|stab|beat|burn|ruin|destroy|finish|end",
        rf"\b{_WILL}\s+(?:hurt|kill|batter|smash|stab|beat|burn|ruin|destroy|finish|end)\b",
    ),
    (
        "find|get|do|sort|deal|come",
        rf"\b{_WILL}\s+(?:find|get|do|sort|deal\s+with|come\s+for|"
        rf"get\s+even\s+with)\s+{_YOU}\b",
    ),
    ("make", rf"\b{_WILL}\s+make\s+{_YOU}\s+(?:pay|suffer|sorry)"),
    ("watch", r"\bwatch\s+(?:(?:your|ur)\s+(?:back|step)|yourself)\b"),
    (
        "dead|finished|get it",
        r"\b(?:you'?re|you\s+are|ur)\s+(?:dead|finished|going\s+to\s+get\s+it)\b",
    ),
    ("for", rf"\b(?:coming|come)\s+for\s+{_YOU}\b"),
    ("pay|suffer", r"\b(?:pay|suffer)\s+for\s+(?:this|that|what\s+you)"),
    ("eye", r"\bsleep\s+with\s+one\s+eye\s+open\b"),
    (
        "away|coming",
        r"\b(?:you|u)\s+(?:won'?t|will\s+not)\s+(?:get\s+away\s+with|see\s+it\s+coming)",
    ),
    ("over", r"\bthis\s+(?:isn'?t|is\s+not|ain'?t)\s+over\b"),
    ("watch", r"\b(?:better|best)\s+watch\s+out\b"),
    ("else", r"\bor\s+else\b(?=\s*(?:[.!?]|$))"),  # "do it, or else!", not "or else we could"
    ("snitches|grasses", r"\b(?:snitches|grasses)\s+get\b"),
    ("mouth", r"\bkeep\s+(?:your|ur)\s+mouth\s+shut\b"),
    ("drop", r"\bdrop\s+the\s+(?:charges|case|complaint)\b"),
]
_WHEREABOUTS = [
    (
        "where",
        rf"\bi\s+know\s+where\s+{_YOU}\s+(?:live|lives|work|works|stay|stays|are|sleep|"
        r"go|goes|drink|shop|park)s?\b",
    ),
    ("where", r"\bi\s+know\s+where\s+(?:your\s+)?(?:kids|children|family)\s+(?:go|live)"),
    ("school", r"\bi\s+know\s+which\s+school\b"),
    (
        "address|number",
        r"\bi\s+(?:know|found\s+out|have|got|'ve\s+got)\s+your\s+(?:new\s+)?"
        r"(?:address|number)\b",
    ),
    ("watching", r"\bi'?ve\s+been\s+watching\s+(?:you|your)\b"),
    (
        "past",
        r"\bi\s+(?:drove|walked|went|go|drive|walk)\s+past\s+your\s+"
        r"(?:house|place|flat|home|work)\b",
    ),
    (
        "saw|seen|see",
        r"\bi\s+(?:saw|seen|see)\s+you\s+(?:outside|at\s+your|near\s+your|"
        r"in\s+town\s+on)\b",
    ),
]
_MEETING = [
    ("meet", r"\bmeet\s+(?:me|up)\b"),
    ("come", r"\bcome\s+(?:and\s+)?(?:see|find|visit|meet)\s+me\b"),
    # An invitation ("come round sometime"), not "what has come over me".
    (
        "come",
        r"\bcome\s+(?:(?:round|over)\s+(?:to\s+(?:mine|my|ours|our)|and|some\s*time|"
        r"tonight|any\s*time|whenever|if|for)|to\s+(?:mine|my\s+(?:house|place|flat)))\b",
    ),
    (
        "without|outside|away|own|privately|private|alone",
        r"\b(?:let'?s|let\s+us|we\s+(?:can|could|should))\s+(?:talk|meet|chat|speak|"
        r"sort\s+(?:this|it)(?:\s+out)?)\s+(?:without|outside|away\s+from|on\s+our\s+own|privately|"
        r"in\s+private|alone)(?:\s+(?:them|him|her|anyone|the\s+(?:mediator|facilitator|service|"
        r"practitioner)))?",
    ),
    (
        "without",
        r"\bwithout\s+(?:them|the\s+(?:mediator|facilitator|service|practitioner|police|"
        r"probation|staff))\s+(?:knowing|involved|reading|seeing|finding\s+out)",
    ),
    (
        "tell",
        r"\b(?:don'?t|do\s+not)\s+tell\s+(?:them|anyone|any\s+one|the\s+(?:facilitator|police|"
        r"mediator|service|practitioner|probation|staff))\b",
    ),
    ("between", r"\bjust\s+between\s+(?:us|you\s+and\s+me|ourselves)\b"),
    (
        "directly|privately",
        r"\b(?:contact|call|text|message|ring|write\s+to|email)\s+me\s+"
        r"(?:directly|privately)\b",
    ),
    ("can", r"\b(?:where|when)\s+can\s+i\s+(?:see|meet|find)\s+you\b"),
    ("round|over|waiting", r"\bi'?ll\s+(?:come|be)\s+(?:round|over|waiting)\b"),
    ("outside", r"\b(?:wait(?:ing)?\s+for|see)\s+you\s+outside\b"),
    ("record", r"\boff\s+the\s+record\b"),
]
_SELF_HARM = [
    (
        "end",
        r"\b(?:want|going|planning|plan|ready)\s+to\s+end\s+(?:it|it\s+all|my\s+life|things)\b",
    ),
    ("end", r"\bend\s+it\s+all\b"),
    ("myself", r"\b(?:kill(?:ing)?|hurt|harm|cut|hurting|harming|cutting)\s+myself\b"),
    ("life", r"\b(?:take|end|taking|ending)\s+my\s+(?:own\s+)?life\b"),
    (
        "reason|point",
        r"\bno\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|going\s+on|carrying\s+on|"
        r"being\s+here)\b",
    ),
    ("live", r"\bnothing\s+(?:left\s+)?to\s+live\s+for\b"),
    (
        "dead|die",
        r"\b(?:(?:want|wish)\s+(?:to\s+be|i\s+was|i\s+were)\s+dead|"
        r"(?:want|wanna|wanting)\s+to\s+die|better\s+off\s+(?:dead|without\s+me))\b",
    ),
    (
        "go|carry|anymore|any",
        r"\bcan'?t\s+(?:go\s+on|carry\s+on|do\s+this\s+anymore|"
        r"take\s+(?:it|this)\s+any\s*more)\b",
    ),
    ("self", r"\bself[\s\-]?harm"),
    ("suicid|overdose", r"\b(?:suicid(?:e|al)|overdose)\b"),
    (
        "longer|anymore|any",
        r"\bnot\s+(?:be\s+)?(?:here|around)\s+(?:much\s+)?"
        r"(?:longer|anymore|any\s+more)\b",
    ),
    ("want", r"\bdon'?t\s+want\s+to\s+(?:be\s+here|live|wake\s+up)\b"),
]


_Rule = tuple[tuple[str, ...], re.Pattern[str]]
_WINDOW = 90  # longer than any phrase


def _compile(rules: list[tuple[str, str]]) -> list[_Rule]:
    return [(tuple(triggers.split("|")), re.compile(pattern)) for triggers, pattern in rules]


_GUARDED = _compile(_THREATS + _WHEREABOUTS + _MEETING)
_UNGUARDED = _compile(_SELF_HARM)
# A negation or a promise just before a threat or a meeting phrase turns it into an apology.
_NEGATED = re.compile(
    r"\b(?:never|not|no\s+longer|hope|promise|\w+n't|wont|dont|didnt|wouldnt)"
    r"(?:\s+\w+){0,3}\s+$"
)


def _matches(rules: list[_Rule], lower: str) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for triggers, pattern in rules:
        for trigger in triggers:
            at = lower.find(trigger)
            while at >= 0:
                window = (max(0, at - _WINDOW), at + len(trigger) + _WINDOW)
                found.update(m.span() for m in pattern.finditer(lower, *window))
                at = lower.find(trigger, at + 1)
    return found


def find_risk_phrases(text: str) -> list[Finding]:
    """Return findings of threats, pressure to meet and self-harm signals in `text`."""
    norm = normalise(text)
    body = norm.lower
    spans: list[tuple[int, int]] = []
    for start, end in _matches(_GUARDED, body):
        if _NEGATED.search(body, max(0, start - 40), start) is None:
            spans.append((start, end))
    spans += _matches(_UNGUARDED, body)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return [Finding(*norm.original_span(start, end), "risk") for start, end in merged]
