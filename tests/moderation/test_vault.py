"""Vault-aware detection: the case's own names, phones, e-mails and addresses in any form.

The rule (see moderation/vault.py): a whole vault value in any case, spacing, punctuation or
spelling is `known`, and so are the parts that identify on their own (an e-mail's local part,
a phone's last 6+ digits, a street line, street name or postcode); one part of a person's name
(3+ letters, as a whole word) is `name`.
"""

from __future__ import annotations

from moderation import find_contact_details


def spans(text: str, kind: str, known: tuple[str, ...]) -> list[str]:
    return [text[f.start : f.end] for f in find_contact_details(text, known) if f.kind == kind]


VAULT = (
    "Sarah Jane Whitfield",
    "07700 900555",
    "s.whitfield@gmail.com",
    "8 Elm Close, Histon CB24 9ZZ",
)


def test_known_name_in_other_case_and_spacing_is_known() -> None:
    assert spans("to SARAH  JANE whitfield", "known", VAULT) == ["SARAH  JANE whitfield"]


def test_known_surname_alone_is_a_name() -> None:
    assert spans("The Whitfield's garden.", "name", VAULT) == ["Whitfield"]


def test_known_first_name_alone_is_a_name() -> None:
    assert spans("Sarah, I am sorry.", "name", VAULT) == ["Sarah"]


def test_known_name_inside_a_longer_word_is_not_found() -> None:
    assert find_contact_details("The Sarahs and Whitfields-ish", VAULT) == []


def test_wordlike_name_part_counts_only_when_capitalised() -> None:
    assert spans("I will write. Will said so.", "name", ("Will Brown",)) == ["Will"]


def test_known_phone_in_words_is_known() -> None:
    text = "is it still oh seven seven double oh nine double oh five five five?"
    assert spans(text, "known", VAULT) == ["oh seven seven double oh nine double oh five five five"]


def test_last_six_digits_of_known_phone_are_known() -> None:
    assert spans("It ends in 900 555 if you remember.", "known", VAULT) == ["900 555"]


def test_known_phone_in_international_format_is_known() -> None:
    assert spans("+44 7700 900555", "known", VAULT) == ["+44 7700 900555"]


def test_known_email_local_part_alone_is_known() -> None:
    assert spans("write to s dot whitfield, the usual", "known", VAULT) == ["s dot whitfield"]


def test_known_email_disguised_is_known() -> None:
    text = "S.WHITFIELD AT GMAIL DOT COM"
    assert spans(text, "known", VAULT) == [text]


def test_known_address_abbreviated_is_known() -> None:
    assert spans("near 8 elm cl.", "known", VAULT) == ["8 elm cl"]


def test_known_postcode_without_space_is_known() -> None:
    assert spans("cb249zz", "known", VAULT) == ["cb249zz"]


def test_known_street_without_number_is_known() -> None:
    assert spans("I see you on Elm Close.", "known", VAULT) == ["Elm Close"]


def test_empty_and_very_short_known_values_are_ignored() -> None:
    assert find_contact_details("Jo was there at 5.", ("", "  ", "Jo", "5")) == []


def test_known_accepts_any_iterable() -> None:
    findings = find_contact_details("Sarah", iter(["Sarah Jones"]))
    assert [(f.kind, f.start, f.end) for f in findings] == [("name", 0, 5)]


def test_known_email_in_plain_form_is_known_not_email() -> None:
    findings = find_contact_details("s.whitfield@gmail.com", VAULT)
    assert [(f.kind, f.start, f.end) for f in findings] == [("known", 0, 21)]


def test_known_email_local_part_as_a_handle_is_known_and_handle() -> None:
    text = "@jsmith99 on everything"
    findings = find_contact_details(text, ("jsmith99@hotmail.com",))
    assert {(f.kind, text[f.start : f.end]) for f in findings} == {
        ("handle", "@jsmith99"),
        ("known", "jsmith99"),
    }


def test_name_parts_shorter_than_three_letters_are_ignored() -> None:
    assert spans("Jo said hello to Smith.", "name", ("Jo Smith",)) == ["Smith"]


def test_known_street_line_of_a_business_address_is_known() -> None:
    known = ("Histon Plumbing Ltd, 3 Station Road",)
    text = "Histon Plumbing, at 3 Station Road"
    assert spans(text, "known", known) == ["Histon Plumbing", "3 Station Road"]


def test_a_town_alone_is_not_a_vault_match() -> None:
    # Decided: single-word address parts (towns) are too common to flag on their own.
    assert find_contact_details("I was in Histon on Sunday.", VAULT) == []
