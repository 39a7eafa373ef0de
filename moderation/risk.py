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
from moderation.normalise import ascii_letters, ascii_word_pairs, ascii_words, normalise

_YOU = r"(?:you|u|ya|your\s+(?:family|kids|mum|mother|dad|sister|brother|wife|husband))"
_WILL = (
    r"(?:i'?ll|i\s+will|i\s+shall|i'?m\s+(?:going\s+to|gonna)|i\s+am\s+(?:going\s+to|gonna)|"
    r"we'?ll|we\s+will|gonna)"
)
# Anchors (see below) for the phrases built from _YOU and _WILL: their first and last words when
# a space or "'" follows ("you'll" is the words "you" and "ll"), and the forms of _WILL as words.
_YOU_WORDS = "you u ya your"
_YOU_ENDS = "you u ya family kids mum mother dad sister brother wife husband"
_WILL_ENDS = "ll ill will shall gonna well"  # or "to", after "going": see `_after_will`
_WILL_FORMS = "i+ll ill i+will i+shall i+m im i+am we+ll well we+will gonna"


def _pairs(firsts: str, seconds: str) -> str:
    """Anchors for "one of `firsts`, then one of `seconds`": "a+x a+y b+x b+y"."""
    return " ".join(f"{a}+{b}" for a in firsts.split() for b in seconds.split())


def _after_will(verbs: str) -> str:
    """Anchors for _WILL followed by one of `verbs`: "will do", "gonna do"..., or the "going to"
    of "i'm going to" (not "to do": "to" alone is in every letter)."""
    return _pairs(_WILL_ENDS, verbs) + " going+to"


# (triggers, anchors, pattern): every match of the pattern contains one of the "|"-separated
# triggers. Triggers are found with str.find and the pattern only runs in a small window around
# each, so a letter costs a few substring searches instead of one regex scan per phrase.
#
# Anchors make most letters cheaper still. They are groups separated by "/", and every match of
# the pattern contains one anchor of each group: a whole word ("watch"), two whole words with
# nothing but spaces or "'" between them ("t+want": "don't want"), or the start of a word
# ("end*": "end", "ending"); a whole word is a run of a-z letters with no letter either side
# (`ascii_words`). A rule with a group that has no anchor in the text cannot match, so it is
# skipped before any trigger is looked for; without that, the common triggers ("do", "for",
# "can") would cost a window search in almost every letter. Only words that the pattern itself
# follows with a space or "'" are whole-word anchors: a pattern's last word can be the start of
# a longer word ("regret" in "regrets"), and a "\b" at the edge of a trigger's window sees the
# window's end, not the rest of the text. Such a word can be a word-start anchor ("regret*")
# when the pattern has a space or "\b" before it. tests/moderation/test_prefilters.py checks
# that the anchors never skip a rule that matches.
_THREATS = [
    (
        "regret|be sorry|pay",
        _pairs(_YOU_ENDS, "ll will re are"),
        rf"\b{_YOU}(?:'ll|\s+will|'re\s+going\s+to|\s+are\s+going\s+to)\s+"
        r"(?:regret|be\s+sorry|pay)",
    ),
    (
        "hurt|kill|batter|smash|stab|beat|burn|ruin|destroy|finish|end",
        _WILL_FORMS + " / hurt* kill* batter* smash* stab* beat* burn* ruin* destroy* finish* end*",
        rf"\b{_WILL}\s+(?:hurt|kill|batter|smash|stab|beat|burn|ruin|destroy|finish|end)\b",
    ),
    (
        "find|get|do|sort|deal|come",
        _after_will("find get do sort deal come"),
        rf"\b{_WILL}\s+(?:find|get|do|sort|deal\s+with|come\s+for|"
        rf"get\s+even\s+with)\s+{_YOU}\b",
    ),
    (
        "make",
        _after_will("make") + " / " + _pairs("make", _YOU_WORDS),
        rf"\b{_WILL}\s+make\s+{_YOU}\s+(?:pay|suffer|sorry)",
    ),
    ("watch", "watch", r"\bwatch\s+(?:(?:your|ur)\s+(?:back|step)|yourself)\b"),
    (
        "dead|finished|get it",
        "you+re youre you+are ur / dead* finished* going",
        r"\b(?:you'?re|you\s+are|ur)\s+(?:dead|finished|going\s+to\s+get\s+it)\b",
    ),
    ("for", "coming+for come+for", rf"\b(?:coming|come)\s+for\s+{_YOU}\b"),
    ("pay|suffer", "pay+for suffer+for", r"\b(?:pay|suffer)\s+for\s+(?:this|that|what\s+you)"),
    ("eye", "sleep+with / one+eye", r"\bsleep\s+with\s+one\s+eye\s+open\b"),
    (
        "away|coming",
        _pairs("you u", "won wont will") + " / get+away see+it",
        r"\b(?:you|u)\s+(?:won'?t|will\s+not)\s+(?:get\s+away\s+with|see\s+it\s+coming)",
    ),
    (
        "over",
        _pairs("this", "isn isnt is ain aint"),
        r"\bthis\s+(?:isn'?t|is\s+not|ain'?t)\s+over\b",
    ),
    ("watch", "better+watch best+watch", r"\b(?:better|best)\s+watch\s+out\b"),
    (
        "else",
        "or / else*",
        r"\bor\s+else\b(?=\s*(?:[.!?]|$))",
    ),  # "do it, or else!", not "or else we could"
    ("snitches|grasses", "snitches grasses", r"\b(?:snitches|grasses)\s+get\b"),
    ("mouth", "keep+your keep+ur", r"\bkeep\s+(?:your|ur)\s+mouth\s+shut\b"),
    ("drop", "drop+the", r"\bdrop\s+the\s+(?:charges|case|complaint)\b"),
]
_WHEREABOUTS = [
    (
        "where",
        "i+know / know+where / " + _pairs("where", _YOU_WORDS),
        rf"\bi\s+know\s+where\s+{_YOU}\s+(?:live|lives|work|works|stay|stays|are|sleep|"
        r"go|goes|drink|shop|park)s?\b",
    ),
    (
        "where",
        "i+know / know+where",
        r"\bi\s+know\s+where\s+(?:your\s+)?(?:kids|children|family)\s+(?:go|live)",
    ),
    ("school", "i+know / know+which", r"\bi\s+know\s+which\s+school\b"),
    (
        "address|number",
        "know+your out+your have+your got+your",
        r"\bi\s+(?:know|found\s+out|have|got|'ve\s+got)\s+your\s+(?:new\s+)?"
        r"(?:address|number)\b",
    ),
    ("watching", "been+watching", r"\bi'?ve\s+been\s+watching\s+(?:you|your)\b"),
    (
        "past",
        _pairs("drove walked went go drive walk", "past") + " / past+your",
        r"\bi\s+(?:drove|walked|went|go|drive|walk)\s+past\s+your\s+"
        r"(?:house|place|flat|home|work)\b",
    ),
    (
        "saw|seen|see",
        "saw+you seen+you see+you",
        r"\bi\s+(?:saw|seen|see)\s+you\s+(?:outside|at\s+your|near\s+your|"
        r"in\s+town\s+on)\b",
    ),
]
_MEETING = [
    ("meet", "meet", r"\bmeet\s+(?:me|up)\b"),
    (
        "come",
        _pairs("come", "and see find visit meet"),
        r"\bcome\s+(?:and\s+)?(?:see|find|visit|meet)\s+me\b",
    ),
    # An invitation ("come round sometime"), not "what has come over me".
    (
        "come",
        "come+round come+over come+to",
        r"\bcome\s+(?:(?:round|over)\s+(?:to\s+(?:mine|my|ours|our)|and|some\s*time|"
        r"tonight|any\s*time|whenever|if|for)|to\s+(?:mine|my\s+(?:house|place|flat)))\b",
    ),
    (
        "without|outside|away|own|privately|private|alone",
        _pairs("s lets us can could should", "talk meet chat speak sort")
        + " / without* outside* away* own* privately* private* alone*",
        r"\b(?:let'?s|let\s+us|we\s+(?:can|could|should))\s+(?:talk|meet|chat|speak|"
        r"sort\s+(?:this|it)(?:\s+out)?)\s+(?:without|outside|away\s+from|on\s+our\s+own|privately|"
        r"in\s+private|alone)(?:\s+(?:them|him|her|anyone|the\s+(?:mediator|facilitator|service|"
        r"practitioner)))?",
    ),
    (
        "without",
        "without+them without+the",
        r"\bwithout\s+(?:them|the\s+(?:mediator|facilitator|service|practitioner|police|"
        r"probation|staff))\s+(?:knowing|involved|reading|seeing|finding\s+out)",
    ),
    (
        "tell",
        "t+tell dont+tell not+tell",
        r"\b(?:don'?t|do\s+not)\s+tell\s+(?:them|anyone|any\s+one|the\s+(?:facilitator|police|"
        r"mediator|service|practitioner|probation|staff))\b",
    ),
    ("between", "just+between", r"\bjust\s+between\s+(?:us|you\s+and\s+me|ourselves)\b"),
    (
        "directly|privately",
        _pairs("contact call text message ring to email", "me") + " / directly* privately*",
        r"\b(?:contact|call|text|message|ring|write\s+to|email)\s+me\s+"
        r"(?:directly|privately)\b",
    ),
    (
        "can",
        "where+can when+can / can+i",
        r"\b(?:where|when)\s+can\s+i\s+(?:see|meet|find)\s+you\b",
    ),
    (
        "round|over|waiting",
        _pairs("ll ill", "come be"),
        r"\bi'?ll\s+(?:come|be)\s+(?:round|over|waiting)\b",
    ),
    ("outside", "for+you see+you", r"\b(?:wait(?:ing)?\s+for|see)\s+you\s+outside\b"),
    ("record", "off+the", r"\boff\s+the\s+record\b"),
]
_SELF_HARM = [
    (
        "end",
        _pairs("want going planning plan ready", "to") + " / to+end",
        r"\b(?:want|going|planning|plan|ready)\s+to\s+end\s+(?:it|it\s+all|my\s+life|things)\b",
    ),
    ("end", "end+it", r"\bend\s+it\s+all\b"),
    (
        "myself",
        "kill killing hurt harm cut hurting harming cutting",
        r"\b(?:kill(?:ing)?|hurt|harm|cut|hurting|harming|cutting)\s+myself\b",
    ),
    (
        "life",
        _pairs("take end taking ending", "my"),
        r"\b(?:take|end|taking|ending)\s+my\s+(?:own\s+)?life\b",
    ),
    (
        "reason|point",
        "no+reason no+point",
        r"\bno\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|going\s+on|carrying\s+on|"
        r"being\s+here)\b",
    ),
    ("live", "to+live", r"\bnothing\s+(?:left\s+)?to\s+live\s+for\b"),
    (
        # "without" too: "better off without me" holds neither "dead" nor "die", and with those
        # two triggers alone that branch could never fire.
        "dead|die|without",
        "want+to wish+to want+i wish+i wanna+to wanting+to better+off / dead* die* without*",
        r"\b(?:(?:want|wish)\s+(?:to\s+be|i\s+was|i\s+were)\s+dead|"
        r"(?:want|wanna|wanting)\s+to\s+die|better\s+off\s+(?:dead|without\s+me))\b",
    ),
    (
        "go|carry|anymore|any",
        _pairs("t cant", "go carry do take"),
        r"\bcan'?t\s+(?:go\s+on|carry\s+on|do\s+this\s+anymore|"
        r"take\s+(?:it|this)\s+any\s*more)\b",
    ),
    ("self", "self*", r"\bself[\s\-]?harm"),
    ("suicid|overdose", "suicid* overdose*", r"\b(?:suicid(?:e|al)|overdose)\b"),
    (
        "longer|anymore|any",
        "not+be not+here not+around",
        r"\bnot\s+(?:be\s+)?(?:here|around)\s+(?:much\s+)?"
        r"(?:longer|anymore|any\s+more)\b",
    ),
    (
        "want",
        "t+want dont+want / want+to",
        r"\bdon'?t\s+want\s+to\s+(?:be\s+here|live|wake\s+up)\b",
    ),
]


# (words, pairs, prefixes) of a group; prefixes as b" end", to look for in `ascii_letters`
_Anchors = tuple[frozenset[bytes], frozenset[tuple[bytes, ...]], tuple[bytes, ...]]
_Rule = tuple[tuple[str, ...], tuple[_Anchors, ...], re.Pattern[str]]
_WINDOW = 90  # longer than any phrase


def _anchors(group: str) -> _Anchors:
    anchors = group.encode().split()
    return (
        frozenset(word for word in anchors if not word.endswith(b"*") and b"+" not in word),
        frozenset(tuple(pair.split(b"+")) for pair in anchors if b"+" in pair),
        tuple(b" " + word[:-1] for word in anchors if word.endswith(b"*")),
    )


def _compile(rules: list[tuple[str, str, str]]) -> list[_Rule]:
    return [
        (
            tuple(triggers.split("|")),
            tuple(_anchors(group) for group in anchors.split("/") if anchors),
            re.compile(pattern),
        )
        for triggers, anchors, pattern in rules
    ]


_GUARDED = _compile(_THREATS + _WHEREABOUTS + _MEETING)
_UNGUARDED = _compile(_SELF_HARM)
# A negation or a promise just before a threat or a meeting phrase turns it into an apology.
_NEGATED = re.compile(
    r"\b(?:never|not|no\s+longer|hope|promise|\w+n't|wont|dont|didnt|wouldnt)"
    r"(?:\s+\w+){0,3}\s+$"
)


def _matches(rules: list[_Rule], lower: str) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    words, pairs, letters = ascii_words(lower), ascii_word_pairs(lower), ascii_letters(lower)
    for triggers, anchors, pattern in rules:
        for group_words, group_pairs, group_prefixes in anchors:
            if (
                group_words.isdisjoint(words)
                and group_pairs.isdisjoint(pairs)
                and not any(prefix in letters for prefix in group_prefixes)
            ):
                break  # no anchor of this group is in the text: no match
        else:
            for trigger in triggers:
                at = lower.find(trigger)
                while at >= 0:
                    window = (max(0, at - _WINDOW), at + len(trigger) + _WINDOW)
                    for m in pattern.finditer(lower, *window):
                        found.add(m.span())
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
