"""Country names and codes as real exports write them, normalized to ISO 3166-1 alpha-2.

The table is pycountry's (the ISO 3166-1 list, kept up to date upstream) with its French
translations; only a handful of everyday aliases the standard does not list are added here
(``UK``, ``Russia``, ``Turkey``, ``Holland``...). Matching ignores case, accents, dots and
punctuation, so ``u.s.a.``, ``Etats-Unis`` and ``ÉTATS-UNIS`` are the same key.

Accepted: alpha-2 (``US``), alpha-3 (``USA``), numeric (``840``), the English short name
(``United States``), the official name (``United States of America``), the common name
(``South Korea``), the French name (``États-Unis``, ``Royaume-Uni``) and the aliases below.
Pure module: no Django.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import pycountry

__all__ = ["ALIASES", "country_code"]

#: Everyday names ISO 3166 does not list (or lists differently); key -> alpha-2.
ALIASES: dict[str, str] = {
    "UK": "GB",
    "U.K.": "GB",
    "Great Britain": "GB",
    "Britain": "GB",
    "Grande-Bretagne": "GB",
    "Angleterre": "GB",
    "England": "GB",
    "EL": "GR",  # the European Union's code for Greece
    "Russia": "RU",
    "Russie": "RU",
    "Turkey": "TR",
    "Turquie": "TR",
    "Holland": "NL",
    "Hollande": "NL",
    "The Netherlands": "NL",
    "Ivory Coast": "CI",
    "Czech Republic": "CZ",
    "République tchèque": "CZ",
    "Korea": "KR",
    "Corée": "KR",
    "Corée du Sud": "KR",
    "North Korea": "KP",
    "Vietnam": "VN",
    "Viêt Nam": "VN",
    "Burma": "MM",
    "Cape Verde": "CV",
    "Swaziland": "SZ",
    "Macedonia": "MK",
    "Moldova": "MD",
    "Bolivia": "BO",
    "Venezuela": "VE",
    "Iran": "IR",
    "Syria": "SY",
    "Laos": "LA",
    "Tanzania": "TZ",
    "Vatican": "VA",
    "USA": "US",
    "Etats-Unis d'Amérique": "US",
    "Amérique": "US",
}

_PUNCT = re.compile(r"[^a-z0-9]+")


def _key(text: str) -> str:
    """Matching key: no accents, lower case, punctuation and spaces removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _PUNCT.sub("", ascii_text.casefold())


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    """Key -> alpha-2 for every accepted spelling (built once)."""
    translate: Callable[[str], str]
    try:
        french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
        translate = french.gettext
    except OSError:  # pragma: no cover - pycountry always ships its translations
        translate = str
    index: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            if name:
                index.setdefault(_key(name), code)
                index.setdefault(_key(translate(name)), code)
        index[_key(country.alpha_3)] = code
        index[country.numeric] = code
    for alias, code in ALIASES.items():
        index.setdefault(_key(alias), code)
    # codes last: a two-letter code always means that country
    for country in pycountry.countries:
        index[_key(country.alpha_2)] = country.alpha_2
    return index


def country_code(text: str) -> str | None:
    """The ISO 3166-1 alpha-2 code (``"FR"``) for a code or name, or ``None`` if unknown.

    ``text`` is stripped; an empty text gives ``None``.
    """
    key = _key(text.strip())
    if not key:
        return None
    return _index().get(key)
