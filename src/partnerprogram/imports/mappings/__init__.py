"""Mappings from source file shapes to canonical fields (docs/imports.md).

``MAPPINGS`` names them: ``generic`` (documented columns, what exports write), ``salesforce``
(Data Loader exports, upper-case API names), ``focus`` (FOCUS 1.0 cloud billing).
``mapping_get(name)`` raises ``MappingRefused`` for an unknown name.
"""

from __future__ import annotations

from partnerprogram.imports.mappings.base import BoundMapping, Mapping, MappingRefused, RowOutcome
from partnerprogram.imports.mappings.focus import FocusMapping
from partnerprogram.imports.mappings.generic import GenericMapping
from partnerprogram.imports.mappings.salesforce import SalesforceMapping

MAPPINGS: dict[str, Mapping] = {
    m.name: m for m in (GenericMapping(), SalesforceMapping(), FocusMapping())
}


def mapping_get(name: str) -> Mapping:
    """The mapping called ``name``; ``MappingRefused`` naming the known ones otherwise."""
    try:
        return MAPPINGS[name]
    except KeyError:
        raise MappingRefused(
            f"unknown mapping {name!r} (mappings: {', '.join(MAPPINGS)})"
        ) from None


__all__ = ["MAPPINGS", "BoundMapping", "Mapping", "MappingRefused", "RowOutcome", "mapping_get"]
