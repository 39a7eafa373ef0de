"""E-mail addresses, web addresses and social-media handles, plain or disguised.

Functions take the normalised text in lower case (`lower`) and, where capitals matter, in its
own case (`text`); both have the same length, and spans index either.

E-mail: `local AT domain`, where AT is "@", " at ", "(at)", "[at]", "{at}", "<at>", "(@)", "-at-"
and dots may be written " dot ", "(dot)", "[dot]" or " . ". A domain needs a known TLD unless the
"@" is a bare one ("jo@mail.example.org"), and may be a bare mail provider ("j.smith (at) gmail",
"jsmith at hotmail"). A local part that is an ordinary word ("work at yahoo") is prose.

URL: a scheme, "www.", or `name.tld` with a TLD from `patterns.BARE_TLDS` (or a short TLD such as
.ly/.me/.ee followed by a path), with "." also written " dot " or " . " (spaces on both sides: a
full stop is not a dot).

Handle: "@name"; a platform followed by a name ("insta jsmith_99", "snap: x", "my tiktok is x");
"find/add/follow/message me on <platform>" and "I'm on <platform>" (with a name after a comma or
dash: "find me on fb, Jo Smith from Histon"); "name on <platform>"; reddit "u/name".
Detection is anchored on the "@"/"at" of an e-mail and on platform names, so a letter costs one
fast scan per rule rather than a match attempt at every word. Python's regex engine only skips
ahead quickly when a pattern starts with a literal character (or one of a few), so the scanning
patterns below start with one where that is possible. Rules that need a fixed string ("://",
"www", "@") or a platform's name as a word are skipped when the text does not have it: they
cannot match without it.
"""

from __future__ import annotations

import re

from moderation.normalise import ascii_words
from moderation.patterns import (
    BARE_TLDS,
    COMMON_WORDS,
    MAIL_PROVIDERS,
    PATH_TLDS,
    PLATFORM_WORDS,
    PLATFORMS,
    SPLIT_PROVIDERS,
)

_OPEN, _CLOSE = r"[\(\[\{<]", r"[\)\]\}>]"
_LABEL = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
_LOCAL_DOT = rf"(?:\.|\s+dot\s+|\s*{_OPEN}\s*dot\s*{_CLOSE}\s*|-dot-)"
# A dot with spaces on one side only is a full stop: "at home. 07700" is not a domain.
_DOMAIN_DOT = rf"(?:\.|\s+\.\s+|\s+dot\s+|\s*{_OPEN}\s*(?:dot|\.)\s*{_CLOSE}\s*|\s*-dot-\s*)"

# The "at" itself; the spaces around it are taken in by `_at_span` (a leading \s* here would be
# retried at every position of a long run of spaces). Every alternative starts with a different
# literal ("@", "(", "[", "{", "<", "-", "_", "a"), so at most one can match at a position.
_AT = re.compile(
    "|".join(
        [
            "@",
            *(rf"\{open_}\s{{0,3}}(?:at|@)\s{{0,3}}{_CLOSE}" for open_ in "([{<"),
            "-at-",
            "_at_",
            r"a(?<=\sa)t(?=\s)",  # " at ": the same as (?<=\s)at(?=\s)
        ]
    )
)
_LOCAL_BEFORE = re.compile(
    rf"(?<![a-z0-9_%+\-.@])[a-z0-9](?:[a-z0-9_%+\-]|{_LOCAL_DOT}(?=[a-z0-9]))*$"
)
_DOMAIN = re.compile(rf"(?:{SPLIT_PROVIDERS}|{_LABEL})(?:{_DOMAIN_DOT}{_LABEL})*")
_DOMAIN_PART = re.compile(rf"(?P<label>{SPLIT_PROVIDERS}|{_LABEL})(?P<sep>{_DOMAIN_DOT})?")
_SQUEEZE = re.compile(r"[\s\[\](){}<>]+|\bdot\b|-dot-")
_SPACES = re.compile(r"\s+")
_DOTS = re.compile(r"\.+")

_PATH = r"(?:/[^\s<>\"']*)?"
_URL_DOT = rf"(?:\.|\s+\.\s+|\s+dot\s+|\s*{_OPEN}dot{_CLOSE}\s*|-dot-)"
_SCHEME_URL = re.compile(r"\b(?:https?|hxxps?|ftp)://[^\s<>\"']+")
_WWW_URL = re.compile(rf"\bwww{_URL_DOT}(?=[a-z0-9\-]*[a-z]){_LABEL}(?:{_URL_DOT}{_LABEL})*{_PATH}")
# Cheap gate: every domain has a dot (in some spelling) followed by a letter. The same test as
# "[a-z0-9]\.[a-z]|\sdot\s|[\(\[\{<]dot|-dot-|\s\.\s", written to start with "." or "dot".
_DOT_GATE = re.compile(
    r"\.(?:(?<=[a-z0-9]\.)[a-z]|(?<=\s\.)\s)|dot(?:(?<=\sdot)\s|(?<=[\(\[\{<]dot))|-dot-"
)
# A quick test first at each word (it changes no match): the first label is followed by a dot in
# one of its spellings, or has "-dot-" in it. Without it, every word is tried as a label that
# ends at each of its letters in turn.
_FIRST_DOT = r"(?=[a-z0-9\-]*+(?:\.|\s+\.\s|\s+dot\s|\s*[\(\[\{<]dot)|[a-z0-9\-]*?-dot-)"
_BARE_URL = re.compile(
    rf"(?<![@\w.\-/]){_FIRST_DOT}(?P<host>(?=[a-z0-9\-]*[a-z]){_LABEL}(?:{_URL_DOT}{_LABEL})+)"
    r"(?P<path>/[^\s<>\"']*)?"
)
_URL_SPLIT = re.compile(_URL_DOT)
_TRAILING = ".,;:!?)]}'\""

_AT_HANDLE = re.compile(r"(?<!@)@(?P<h>[a-z0-9_](?:[a-z0-9_.]*[a-z0-9_])?)")
_PLATFORM = re.compile(rf"(?<![a-z]){PLATFORMS}(?![a-z])")
# A match of _PLATFORM has no letter either side, so the first word of its platform's name is a
# whole word of the text (see `ascii_words`): without one, there is nothing to look for.
_PLATFORM_WORDS = frozenset(word.encode() for word in PLATFORM_WORDS)
_AFTER_PLATFORM = re.compile(
    r"(?:\s+me)?(?P<desc>\s+(?:user\s?name|name|handle|id|gamer\s?tag|tag|account))?"
    r"(?P<sep>\s*[:=]\s*|\s+-\s+|\s+(?:is|as)\s+|'s\s+|\s+|-)(?P<at>@)?"
    r"(?P<h>[a-z0-9_][a-z0-9_.#\-]*[a-z0-9_]|[a-z0-9_])"
)
_CONTACT_ME_BEFORE = re.compile(
    r"(?<![a-z])(?:(?:find|add|follow|message|msg|dm|pm|contact|reach|text|call|ring|look|hit|"
    r"catch|friend|get|search\s+for)\s+me\s+(?:up\s+)?(?:on|at|via|through|over)\s+(?:my\s+)?|"
    r"(?:i'?m|i\s+am)\s+(?:still\s+|also\s+)?on\s+|"
    r"(?:my\s+)?(?:user\s?name|handle|account)\s+on\s+)$"
)
_SEARCH_BEFORE = re.compile(r"(?<![a-z])search\s+(?:for\s+)?[^\n.]{1,40}?\s+on\s+$")
_NAME_BEFORE = re.compile(r"(?<![\w@.])[a-z0-9_.]*[a-z][a-z0-9_.]*\s+on\s+(?:the\s+)?$")
_REDDIT = re.compile(r"(?<![a-z/])u/[a-z0-9_\-]{3,20}")
_NAME_AFTER = re.compile(
    r"(?:\s*[,:\-]\s*|\s+(?:as|under|is)\s+)"
    r"(?:@?(?P<h>[a-z0-9_.]*[_0-9.][a-z0-9_.]*[a-z0-9_])|"
    r"(?P<name>[A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+){0,3}(?:,?\s+from\s+[A-Z][a-z'\-]+)?))"
)
_TIME_HANDLE = re.compile(r"\d{1,2}(?:[ap]m)?|\d{1,2}[:.]\d\d")


def _tld_end(label: str, start: int) -> tuple[str, int]:
    """A label's TLD reading: "uk-jo" (from "example.co.uk-Jo Smith") reads as "uk"."""
    head = label.split("-", 1)[0]
    return head, start + len(head)


def _domain_end(lower: str, start: int, end: int, bare_at: bool) -> tuple[int, str] | None:
    """Where an e-mail domain in lower[start:end] really ends, and its canonical form."""
    labels = [
        (m.group("label"), m.end("label"), m.group("sep"))
        for m in _DOMAIN_PART.finditer(lower, start, end)
    ]
    best: tuple[int, str] | None = None
    plain = True  # every separator so far is a bare "."
    names: list[str] = []
    for index, (label, label_end, _sep) in enumerate(labels):
        names.append(_SPACES.sub("", label))
        if index == 0:
            if names[0] in MAIL_PROVIDERS:
                best = (label_end, names[0])
            continue
        if not any(c.isalpha() for c in label):
            break
        plain = plain and labels[index - 1][2] == "."
        tld, tld_end = _tld_end(label, label_end - len(label))
        # ".me"/".at" after a spelled "at" only for a mail provider ("proton dot me").
        known_tld = tld in BARE_TLDS or (tld in PATH_TLDS and names[0] in MAIL_PROVIDERS)
        if known_tld or (bare_at and plain and tld.isalpha() and 2 <= len(tld) <= 24):
            best = (tld_end, ".".join([*names[:-1], tld]))
        if tld_end != label_end:
            break  # "gmail.com-Jo": nothing after the cut belongs to the address
    return best


def _at_span(lower: str, start: int, end: int) -> tuple[int, int]:
    """Widen an "at" over up to three spaces on each side."""
    low, high = max(0, start - 3), min(len(lower), end + 3)
    while start > low and lower[start - 1].isspace():
        start -= 1
    while end < high and lower[end].isspace():
        end += 1
    return start, end


def find_emails(lower: str) -> list[tuple[int, int, str]]:
    """Spans of e-mail addresses with their canonical form ("local@domain")."""
    found: list[tuple[int, int, str]] = []
    for at in _AT.finditer(lower):
        start, end = _at_span(lower, at.start(), at.end())
        spelled = at.group() == "at"
        if spelled and (start == at.start() or end == at.end()):
            continue  # a spelled "at" needs a space on each side
        # Domain first: it fails for almost every " at " in prose ("at the park"), and checking
        # it before the local part is cheaper and gives the same answer (neither uses the other).
        domain = _DOMAIN.match(lower, end)
        if domain is None or domain.group().startswith("www"):
            continue
        bare_at = at.group() == "@" and (start, end) == at.span()
        cut = _domain_end(lower, domain.start(), domain.end(), bare_at=bare_at)
        if cut is None:
            continue
        local = _LOCAL_BEFORE.search(lower, max(0, start - 80), start)
        if local is None or (spelled and local.group() in COMMON_WORDS):
            continue  # "work at yahoo", "be at home"
        end, canonical_domain = cut
        canonical_local = _DOTS.sub(".", _SQUEEZE.sub(".", local.group()))
        found.append((local.start(), end, f"{canonical_local}@{canonical_domain}"))
    return found


def _trim(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in _TRAILING:
        end -= 1
    return end


def _bare_url_end(m: re.Match[str]) -> int | None:
    host_start, host_end = m.span("host")
    labels = []
    cursor = host_start
    spaced = False
    for sep in _URL_SPLIT.finditer(m.string, host_start, host_end):
        labels.append((m.string[cursor : sep.start()], cursor, sep.start()))
        spaced = spaced or sep.group() != "."
        cursor = sep.end()
    labels.append((m.string[cursor:host_end], cursor, host_end))
    if spaced and labels[0][0] in COMMON_WORDS:
        return None  # "the dot com bubble"
    has_path = len(m.group("path") or "") > 1
    for index in range(len(labels) - 1, 0, -1):
        label, start, end = labels[index]
        tld, tld_end = _tld_end(label, start)
        with_path = tld_end == end and index == len(labels) - 1 and has_path
        if tld in BARE_TLDS:
            return m.end("path") if with_path else tld_end
        if tld in PATH_TLDS and with_path:
            return m.end("path")
    return None


def find_urls(lower: str) -> list[tuple[int, int]]:
    """Spans of web addresses: with a scheme, with www., or a bare domain with a known TLD."""
    found: list[tuple[int, int]] = []
    if "://" in lower:  # in every match of _SCHEME_URL
        found += [(m.start(), _trim(lower, *m.span())) for m in _SCHEME_URL.finditer(lower)]
    if "www" in lower:  # in every match of _WWW_URL
        found += [(m.start(), _trim(lower, *m.span())) for m in _WWW_URL.finditer(lower)]
    if _DOT_GATE.search(lower) is None:
        return found
    for m in _BARE_URL.finditer(lower):
        end = _bare_url_end(m)
        if end is not None:
            found.append((m.start(), _trim(lower, m.start(), end)))
    return found


def _handle_like(token: str) -> bool:
    """A token that looks like an account name rather than a word."""
    return any(c.isdigit() or c in "_.#" for c in token) and any(c.isalpha() for c in token)


def _extend_name(text: str, end: int) -> int:
    """Extend a "find me on fb" span over the name or handle after it (capitals matter)."""
    m = _NAME_AFTER.match(text, end)
    if m is None or (m.group("name") is not None and m.group("name").lower() in COMMON_WORDS):
        return end
    return m.end()


def _after_platform(text: str, lower: str, m: re.Match[str]) -> int | None:
    """End of "<platform> <name>" ("insta jsmith_99", "snap: x", "my tiktok is x"), if any."""
    after = _AFTER_PLATFORM.match(lower, m.end())
    if after is None:
        return None
    handle = after.group("h")
    if not any(c.isalpha() for c in handle):
        return None  # "whatsapp 07700 900123" is a phone
    sep = after.group("sep").strip()
    # "snap: x", "Insta - x", "my snap is x" name an account; "snap-decision" does not.
    spaced_dash = sep == "-" and after.group("sep") != "-"
    explicit = bool(after.group("desc")) or sep in (":", "=", "'s") or spaced_dash
    if after.group("at"):
        ok = True
    elif sep in ("is", "as") or explicit:
        ok = handle not in COMMON_WORDS  # "my instagram is private"
    else:
        ok = _handle_like(handle)  # "insta jsmith_99", not "insta yesterday"
    if not ok:
        return None
    if sep in (":", "-", "="):  # "messenger: Jo Smith" names the account
        return max(after.end(), _extend_name(text, m.end()))
    return after.end()


def _platforms(lower: str) -> list[re.Match[str]]:
    """The matches of `_PLATFORM.finditer(lower)`, without trying it at every position: a match
    starts where the first word of a platform's name is a whole word, so it is tried only where
    one of those that are words of the text occurs, in order, as `finditer` would."""
    starts: set[int] = set()
    for word in (word.decode() for word in _PLATFORM_WORDS & ascii_words(lower)):
        at = lower.find(word)
        while at >= 0:
            starts.add(at)
            at = lower.find(word, at + 1)
    found = []
    searched_to = 0
    for start in sorted(starts):
        if start >= searched_to and (m := _PLATFORM.match(lower, start)) is not None:
            found.append(m)
            searched_to = m.end()
    return found


def find_handles(text: str, lower: str) -> list[tuple[int, int]]:
    """Spans of social-media handles and "find me on <platform>" phrases."""
    found: list[tuple[int, int]] = []
    for m in _AT_HANDLE.finditer(lower) if "@" in lower else ():
        handle = m.group("h")
        if any(c.isalpha() for c in handle) and not _TIME_HANDLE.fullmatch(handle):
            found.append(m.span())
    if "u/" in lower:
        found += [m.span() for m in _REDDIT.finditer(lower)]
    for m in _platforms(lower):
        end = _after_platform(text, lower, m)
        if end is not None:
            found.append((m.start(), end))
        window = max(0, m.start() - 60)
        before = _CONTACT_ME_BEFORE.search(lower, window, m.start())
        if before is not None:
            found.append((before.start(), _extend_name(text, m.end())))
        before = _SEARCH_BEFORE.search(lower, window, m.start())
        if before is not None:
            found.append((before.start(), m.end()))
        before = _NAME_BEFORE.search(lower, window, m.start())
        if before is not None and _handle_like(before.group().split()[0]):
            found.append((before.start(), m.end()))
    return found
