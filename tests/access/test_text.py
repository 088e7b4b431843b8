"""Words are folded, split and stemmed by Archipel, once, identically for both engines."""

from __future__ import annotations

from archipel.access.text import (
    MAX_TERMS,
    MAX_WORD_LENGTH,
    fold,
    search_terms,
    stem,
    unit_text_fields,
    words,
)


def test_folding_removes_accents_and_case_and_spells_out_ligatures() -> None:
    assert fold("Délibération ÉCOLE") == "deliberation ecole"
    assert fold("Œuvre, cæcum, Straße") == "oeuvre, caecum, strasse"
    assert fold("ﬁchier nº2 ℌ") == "fichier no2 h"  # compatibility forms: ﬁ, º, ℌ


def test_words_are_runs_of_letters_and_digits() -> None:
    assert words("Rue de l'Église, n°12 — 1990-03-15") == [
        "rue",
        "de",
        "l",
        "eglise",
        "n",
        "12",
        "1990",
        "03",
        "15",
    ]
    assert words("!!! — …") == []


def test_french_stemming_joins_singular_and_plural() -> None:
    assert stem("deliberations") == stem("deliberation") == "deliber"
    assert stem("municipaux") == stem("municipal")
    assert search_terms("Délibérations") == search_terms("deliberation")


def test_text_fields_hold_the_terms_of_each_field_and_of_all() -> None:
    content = {
        "Title": "Délibérations du Conseil",
        "Keyword": [{"KeywordContent": "Paris"}, {"KeywordContent": {"#text": "Lyon", "@lang": "fr"}}],
        "Empty": "",
        "Punctuation": "—",
    }
    assert unit_text_fields(content) == {
        "Title": "deliber du conseil",
        "Keyword.KeywordContent": "paris lyon",
        "_all": "deliber du conseil paris lyon",
    }


def test_a_field_too_deep_for_the_index_still_counts_in_all() -> None:
    deep = "x" * 120
    content = {deep: {deep: "archives"}}
    assert unit_text_fields(content) == {"_all": "archiv"}


def test_what_postgresql_could_not_index_is_left_out_on_both_engines() -> None:
    assert words("a" * (MAX_WORD_LENGTH + 1) + " court") == ["court"]
    long = unit_text_fields({"Description": " ".join(f"mot{index}" for index in range(MAX_TERMS + 10))})
    assert len(long["Description"].split()) == len(long["_all"].split()) == MAX_TERMS
    assert long["Description"].split()[-1] == f"mot{MAX_TERMS - 1}"
