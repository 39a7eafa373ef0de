"""Realistic letters for the benchmark: 1-3 KB of restorative-justice prose.

Every letter is different (the scanner must do real work on each), and about one in five
carries something the contact-detail wall should catch (a phone number, an email, a street
address, a handle), as real first drafts sometimes do.
"""

from __future__ import annotations

import random

OPENINGS = (
    "Dear {alias},",
    "To {alias},",
    "{alias},",
    "Hello {alias},",
)
SENTENCES = (
    "I have started this letter many times and thrown each one away.",
    "I want you to know that I think about that night more often than I can say.",
    "My facilitator said I should write what is true, not what sounds good, so here it is.",
    "For a long time I told myself it was not as bad as people said.",
    "When I heard how it had affected your family I could not sleep for days.",
    "I am not writing to ask you to forgive me; that is yours to decide.",
    "I keep going over the moment I could have walked away and did not.",
    "Since then I have been going to a group every Tuesday and it has helped me see things.",
    "My mother asked me what I would say to you if I could, and I did not have an answer then.",
    "I understand if you never want to read another word from me.",
    "The people at the centre have been patient with me, more than I deserve.",
    "I used to think being angry was the same as being strong.",
    "You did nothing to bring any of this on yourself, and I am sorry I made you feel you had.",
    "I have a job now, at a warehouse, early shifts, and I have kept it for six months.",
    "I would like to pay for the window and the bike, if you will let me.",
    "Some days I am proud of the changes and some days I feel like nothing has changed at all.",
    "I wanted to answer the questions you asked through the facilitator as honestly as I can.",
    "No, I did not know you lived there; I did not know anything about you then.",
    "Yes, I was drinking, but that is not an excuse and I am not using it as one.",
    "I think about your daughter hearing the noise and being frightened, and I feel sick.",
    "If there is anything you want to ask me, I will answer it.",
    "Thank you for agreeing to read this at all.",
    "It has been hard to go back to the shops on our road without looking over my shoulder.",
    "I want you to understand what the months afterwards were like for us.",
    "My son still asks whether the man will come back, and I do not know what to tell him.",
    "I am not sure yet whether I want to meet you, but I wanted to write this much.",
    "Hearing that you have been going to the group made a difference to how I feel.",
    "I would like to know why our house, of all the houses on that street.",
    "Some of what you wrote last time helped, and some of it made me angry again.",
    "I am trying to be fair to you and to myself at the same time.",
)
# What a first draft sometimes contains: the scanner should flag these.
SLIPS = (
    "If you want to talk properly you can ring me on 07700 900{n:03d} any evening.",
    "My email is j.{name}{n}@example.com if that is easier than going through them.",
    "I am at {n} Station Road now, Leeds LS{d} 4AB, if you ever want to write directly.",
    "You can find me on insta as @{name}_{n}, I post about the running.",
    "call me on oh seven seven zero zero nine zero zero {n}",
    "Sometimes I still feel like I want to hurt myself when I think about it.",
)
CLOSINGS = ("Yours,", "With respect,", "Thank you for reading,", "Take care,")
NAMES = ("dan", "kez", "mo", "lee", "sam", "jo", "ash", "ray")


def letter(rng: random.Random, alias: str, *, slips: bool = True) -> str:
    """One letter of 1-3 KB (code points), different every call."""
    target = rng.randint(1000, 3000)
    parts = [rng.choice(OPENINGS).format(alias=alias), ""]
    size = len(parts[0])
    paragraph: list[str] = []
    slip_at = rng.randint(2, 12) if slips and rng.random() < 0.2 else -1
    written = 0
    while size < target:
        if written == slip_at:
            n = rng.randint(1, 999)
            sentence = rng.choice(SLIPS).format(n=n, d=rng.randint(1, 28), name=rng.choice(NAMES))
        else:
            sentence = rng.choice(SENTENCES)
        written += 1
        paragraph.append(sentence)
        size += len(sentence) + 1
        if len(paragraph) >= rng.randint(3, 6):
            parts.append(" ".join(paragraph))
            parts.append("")
            paragraph = []
    if paragraph:
        parts.append(" ".join(paragraph))
        parts.append("")
    parts.append(rng.choice(CLOSINGS))
    text = "\n".join(parts)
    return text[:3000] if len(text) > 3000 else text


def letters(count: int, seed: int = 7, *, slips: bool = True) -> list[str]:
    rng = random.Random(seed)
    aliases = ("Alex", "Sam R", "Jordan", "Chris", "Robin", "Pat")
    return [letter(rng, rng.choice(aliases), slips=slips) for _ in range(count)]
