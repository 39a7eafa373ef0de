"""Word lists and regex fragments shared by the detectors.

Everything here is data: the detectors compile it once at import.
"""

from __future__ import annotations


def words(block: str) -> frozenset[str]:
    """The whitespace-separated words of `block`."""
    return frozenset(block.split())


# Top-level domains accepted after a bare "name.tld" with no scheme and no "www.". Kept to the
# ones that are not also short English words, so "told him.Net result" is not a URL.
BARE_TLDS = words("""
    com net org uk ie io info biz eu de fr es nl au ca nz app dev xyz online site shop store tv
    co gg cc link page club blog social website tech ai us
    """)
# Accepted only with a path ("bit.ly/x", "t.me/x", "linktr.ee/x") or a scheme/www prefix.
PATH_TLDS = words("""
    ly gl me ee to be it at is in so sh am fm la gd
    """)
ANY_TLD = BARE_TLDS | PATH_TLDS

# Mail providers that people name without a TLD ("j.smith (at) gmail").
MAIL_PROVIDERS = words("""
    gmail googlemail hotmail yahoo ymail outlook icloud proton protonmail btinternet aol live
    msn sky virginmedia talktalk mail gmx
    """)
# Provider names people split with a space: "g mail", "hot mail".
SPLIT_PROVIDERS = r"(?:g\s+mail|hot\s+mail|out\s+look|i\s+cloud|ya\s+hoo|proton\s+mail)"

PLATFORMS = (
    r"(?:instagram|insta|ig|snapchat|snap|tik\s?tok|twitter|facebook|fb|messenger|"
    r"whats\s?app|telegram|signal|discord|reddit|youtube|linkedin|threads|bluesky|kik|skype|"
    r"xbox(?:\s+live)?|psn|playstation|steam|twitch|onlyfans|pinterest|tumblr|grindr|tinder|"
    r"hinge|bumble|wechat|viber|mastodon)"
)
# The first word of each platform name: "tik" and "tiktok" for "tik\s?tok", "xbox" for
# "xbox(?:\s+live)?".
PLATFORM_WORDS = frozenset(
    word
    for name in PLATFORMS[3:-1].split("|")
    for word in (name.split("\\s?")[0].split("(")[0], name.replace("\\s?", "").split("(")[0])
)

# Ordinary words: a "handle" or an e-mail local part that is one of these is prose, not an
# account name ("my instagram is private", "I used to work at Yahoo").
COMMON_WORDS = words("""
    a about after again all also always am an and any anyway are around as at away back be
    because been before being blocked both but by can cannot closed could day days deleted did
    do does done down each either ever every everyone for from full gone good got had has have
    he her here hers him his how i if in into is it its just last like me mine more most much my
    never new no not now of off old on once one only or other our out over private really same
    she should since so some still such than that the their them then there these they this
    those though through to today too under until up us very was way we well went were what when
    where which while who why will with look looked looking work worked working would yes
    yesterday you your yours hacked banned suspended dead rubbish boring again anymore any more
    messages message stories story posts post pictures photos pics video videos account page
    group chat where's there's it's i'm you're name fine great lovely
    """)

# Street words that end a street name in an address.
STREET_WORDS = (
    r"(?:road|rd|street|st|lane|ln|avenue|ave|av|close|cl|way|drive|dr|crescent|cres|court|ct|"
    r"place|pl|gardens|gdns|terrace|tce|grove|gr|hill|park|square|sq|row|walk|mews|view|rise|"
    r"green|parade|gate|yard|wharf|boulevard|blvd|estate|approach|circus|end|croft|chase|"
    r"meadows?|fields?|side|vale|wood|bank|quay|embankment|passage|alley|hollow)"
)

# Words that cannot be part of a street's name: counts, measures, and function words. They
# keep "a 10 minute walk", "2 kids walk" and "3 miles down Station Road" out of addresses.
NOT_STREET_NAME = (
    r"(?:the|a|an|of|in|on|at|to|my|your|his|her|our|their|and|or|but|for|with|from|by|down|"
    r"up|this|that|these|those|is|was|were|are|be|been|i|you|he|she|we|they|it|me|us|them|"
    r"some|all|more|few|other|last|next|first|long|short|good|bad|big|small|little|whole|"
    r"great|nice|old|new|years?|yrs?|days?|weeks?|months?|hours?|hrs?|minutes?|mins?|"
    r"seconds?|secs?|times?|miles?|km|metres?|meters?|yards?|feet|foot|inch(?:es)?|people|"
    r"kids?|children|men|women|boys?|girls?|lads?|of|lane|way|storey|bed(?:room)?s?|doors?|"
    r"seater|sided|mph|pounds?|quid|cups?|pints?|cars?|dogs?|cats?|more|points?|steps?|"
    r"stops?|goals?|laps?|rounds?|percent|per|cent|floors?|sessions?|letters?|visits?)"
)

NUMBER_WORDS_1_19 = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen)"
)
NUMBER_WORDS_TENS = r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
HOUSE_NUMBER_WORDS = (
    rf"(?:{NUMBER_WORDS_TENS}(?:[\s\-]+(?:one|two|three|four|five|six|seven|eight|nine))?"
    rf"|{NUMBER_WORDS_1_19})"
)

# The postcode areas of the UK (plus BF/BX non-geographic). Whitelisting areas keeps
# "A14", "WW2" and "Covid-19" from being read as postcodes.
POSTCODE_AREAS = words("""
    AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN
    DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA
    LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG
    SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE
    """)


def alternatives(group: str) -> list[str]:
    """The words of a plain alternation "(?:a|b|cs?)": ["a", "b", "c", "cs"]."""
    assert group.startswith("(?:") and group.endswith(")"), group
    found = []
    for word in group[3:-1].split("|"):
        assert word.rstrip("?").isalpha(), word
        found += [word[:-2], word[:-1]] if word.endswith("?") else [word]
    return found
