"""Ratio standards: ``numerator / denominator x per >= min_value`` in each unit of a level (beds per 1,000 elderly).

The numerator and denominator are sums over a layer: a facility attribute (of some
types) or a settlement attribute, counted inside the unit's borders.  Rows without a
value count as 0 and are reported; a shortfall is in whole beds or doctors.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ...i18n import N_, Msg, Note
from ...tables import FieldSpec, check_table
from ...text import display_name, fmt_against, fmt_count, fmt_share, words
from .._base import (
    FACILITY_FIELDS,
    MET,
    NOT_MET,
    NOT_TESTED,
    RTOL,
    SETTLEMENT_FIELDS,
    StandardBase,
    StandardResult,
    field_label,
    level_name,
    mark,
    verdict_word,
)
from .._checks import Checker
from .._units import export_unit_rows, mapped, memberships, no_units_note, types_names, types_note, units_at
from . import Kind

__all__ = ["KIND", "Quantity", "RatioStandard"]


@dataclass(frozen=True)
class Quantity:
    """A sum over a layer: a facility attribute (of some types) or a settlement attribute (of some classes)."""

    layer: str
    field: str
    facility_types: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RatioStandard(StandardBase):
    """``numerator / denominator * per >= min_value`` per unit of ``level``."""

    level: str = ""
    numerator: Quantity = Quantity("facilities", "quantity")
    denominator: Quantity = Quantity("settlements", "population")
    per: float = 1.0
    min_value: float = 0.0
    unit_zh: str = ""
    unit_en: str = ""
    kind: str = "ratio"
    thresholds: tuple[str, ...] = ("min_value",)

    def unit(self, lang: str = "en") -> str:
        """The unit of the value in a language."""
        return self.unit_zh if lang == "zh" else self.unit_en


_NUM = (int, float)
SPEC = {
    "level": FieldSpec((str,)),
    "numerator": FieldSpec((dict,)),
    "denominator": FieldSpec((dict,)),
    "per": FieldSpec(_NUM),
    "min_value": FieldSpec(_NUM),
    "unit_zh": FieldSpec((str,)),
    "unit_en": FieldSpec((str,)),
}
_QTY_SPEC = {
    "layer": FieldSpec((str,)),
    "field": FieldSpec((str,)),
    "facility_types": FieldSpec((list,), required=False),
    "classes": FieldSpec((list,), required=False),
}


def _quantity(raw: dict, part: str, c: Checker) -> Quantity:
    q = raw[part]
    check_table(q, _QTY_SPEC, where=f"{c.where}, {part}")
    allowed = {"facilities": FACILITY_FIELDS, "settlements": SETTLEMENT_FIELDS}.get(q["layer"])
    if allowed is None:
        c.fail(Msg("{where}: layer must be 'facilities' or 'settlements', got '{value}'.", where=part, value=q["layer"]))
    if q["field"] not in allowed:
        c.fail(Msg("{where}: field '{value}' is not one of {fields}.", where=part, value=q["field"], fields=", ".join(allowed)))
    types = c.facility_types(q["facility_types"], f"{part}.facility_types") if "facility_types" in q else ()
    classes = c.classes(q["classes"], f"{part}.classes") if "classes" in q else ()
    return Quantity(q["layer"], q["field"], types, classes)


def build(raw: dict, common: dict, c: Checker) -> RatioStandard:
    """A ratio standard from its checked TOML table."""
    std = RatioStandard(
        **common,
        level=c.level(raw["level"]),
        numerator=_quantity(raw, "numerator", c),
        denominator=_quantity(raw, "denominator", c),
        per=c.number(raw, "per", low=0),
        min_value=c.number(raw, "min_value", low=0, open_low=False),
        unit_zh=raw["unit_zh"],
        unit_en=raw["unit_en"],
    )
    return replace(std, basis=c.basis(raw, std.thresholds))


# --- assessment --------------------------------------------------------------------------------------


def quantity_by_unit(region, q: Quantity, level: str, cache: dict | None) -> tuple[pd.Series, pd.Series, int]:
    """Sum of a quantity per unit, how many contributing rows had no value, and how many rows contribute."""
    s_members, f_members = memberships(region, cache)
    if q.layer == "facilities":
        f = region.facilities
        mask = f["in_region"] & (f["facility_type"].isin(q.facility_types) if q.facility_types else True)
        unit = f_members.loc[mask, level]
        values = f.loc[mask, q.field]
    else:
        s = region.settlements
        mask = s["class"].isin(q.classes) if q.classes else pd.Series(True, index=s.index)
        unit = s_members.loc[mask, level]
        values = s.loc[mask, q.field] if q.field in s else pd.Series(np.nan, index=s.index[mask])  # a layer built in code
    return values.fillna(0.0).groupby(unit).sum(), values.isna().groupby(unit).sum(), int(values.notna().sum())


def _detail(region, std: RatioStandard, num: tuple, den: tuple) -> pd.DataFrame:
    """One row per unit: the sums, the value, the verdict and the shortfall in whole units of the numerator."""
    units = units_at(region, std.level)
    detail = units.copy()
    detail.insert(0, "standard", std.id)
    detail["numerator"] = num[0].reindex(units.index, fill_value=0.0)
    detail["denominator"] = den[0].reindex(units.index, fill_value=0.0)
    detail["rows_without_value"] = (num[1].reindex(units.index, fill_value=0) + den[1].reindex(units.index, fill_value=0)).astype(
        int
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(detail["denominator"] > 0, detail["numerator"] / detail["denominator"] * std.per, np.nan)
    detail["value"] = value
    detail["min_value"] = std.min_value
    # Exactly at the floor passes (up to floating-point rounding of the sums).
    meets = np.isfinite(value) & (value >= std.min_value * (1 - RTOL))
    detail["verdict"] = np.where(~np.isfinite(value), NOT_TESTED, np.where(meets, MET, NOT_MET))
    detail["passes"] = meets
    needed = std.min_value * detail["denominator"] / std.per
    # Shortfall in whole units of the numerator (beds, doctors): what must be added to meet the floor.
    short = np.where(meets | ~np.isfinite(value), 0.0, np.maximum(needed - detail["numerator"], 0.0))
    detail["shortfall"] = np.ceil(short - 1e-9)
    detail["numerator_field"] = f"{std.numerator.layer}.{std.numerator.field}"
    detail["denominator_field"] = f"{std.denominator.layer}.{std.denominator.field}"
    return detail


def _no_values_note(region, std: RatioStandard, rows: tuple[int, int]) -> Note | None:
    """Why nothing can be divided: a numerator or denominator without a single value."""
    for q, n in ((std.numerator, rows[0]), (std.denominator, rows[1])):
        if n == 0:
            if q.layer == "facilities" and q.facility_types and not mapped(region, q.facility_types):
                return types_note(region, q.facility_types)
            if q.layer == "facilities":
                return Msg(
                    "no '{field}' values for the {types} of the facilities layer",
                    field=q.field,
                    types=types_names(region, q.facility_types) if q.facility_types else Note("facilities"),
                )
            return Msg("no '{field}' values in the settlements layer", field=q.field)
    return None


def assess(region, std: RatioStandard, cache: dict | None = None) -> StandardResult:
    """Compute ``numerator / denominator * per`` per unit and test it against the floor.

    Summary: ``n``, ``n_meeting``, ``shortfall_total``, ``worst_code``, ``worst_value``.
    """
    num = quantity_by_unit(region, std.numerator, std.level, cache)
    den = quantity_by_unit(region, std.denominator, std.level, cache)
    detail = _detail(region, std, num, den)
    tested = detail[np.isfinite(detail["value"])]
    n, n_ok = len(tested), int((tested["verdict"] == MET).sum())
    summary = {"n": n, "n_meeting": n_ok, "shortfall_total": float(tested["shortfall"].sum())}
    why = _no_values_note(region, std, (num[2], den[2]))
    if why is None and region.counts_settlements and "population" in (std.numerator.field, std.denominator.field):
        why = Note("demand counts settlements, not people (init --demand settlements): there is no population to divide by")
    if why is None and len(detail) == 0:
        why = no_units_note(region, std.level)
    if why is None and n == 0:
        why = Note("nothing to divide by: {field} sums to 0", {"field": std.denominator.field})
    if why is not None:
        return StandardResult(std, detail, summary, NOT_TESTED, why)
    worst_row = tested.sort_values("value", kind="stable").iloc[0]
    summary.update(worst_code=worst_row.name, worst_value=float(worst_row["value"]))
    return StandardResult(std, detail, summary, MET if n_ok == n else NOT_MET)


# --- words ------------------------------------------------------------------------------------------------


def target(std: RatioStandard, region, lang: str = "en") -> str:
    """E.g. ``>= 60 beds per 1,000 elderly``."""
    _ = words(lang)
    return _(">= {value} {unit}{m}").format(value=f"{std.min_value:g}", unit=std.unit(lang), m=mark(std, "min_value", lang))


def meeting(r: StandardResult, region, lang: str) -> tuple[str, str]:
    """Units meeting it (no population: a ratio is of the unit as a whole)."""
    _ = words(lang)
    s = r.summary
    n, k = s.get("n", 0), s.get("n_meeting", 0)
    if r.verdict == NOT_TESTED or n == 0:
        return "", ""
    level = level_name(region, r.standard.level, lang)
    return _("{k}/{n} {level} ({pct})").format(k=k, n=n, level=level, pct=fmt_share(k, n)), ""


def meeting_short(r: StandardResult, lang: str) -> str:
    """E.g. ``0/1`` units."""
    s = r.summary
    return "" if r.verdict == NOT_TESTED or not s.get("n") else f"{s['n_meeting']}/{s['n']}"


def worst(r: StandardResult, region, lang: str = "en") -> str:
    """The unit with the lowest value, its sums and what it lacks."""
    _ = words(lang)
    std, s = r.standard, r.summary
    row = r.detail.loc[s["worst_code"]]
    whole_region = s["worst_code"] == region.vocabulary.region_level
    meets = bool(row["verdict"] == MET)
    text = _("{value} {units} ({num}/{den})") if whole_region else _("{unit}: {value} {units} ({num}/{den})")
    text = text.format(
        unit=display_name(row, lang, s["worst_code"]),
        value=fmt_against(row["value"], std.min_value, meets, upper=False, decimals=2),
        units=std.unit(lang),
        num=fmt_count(row["numerator"]),
        den=fmt_count(row["denominator"]),
    )
    if row["shortfall"] > 0:
        text += _("; {n} {what} short").format(n=fmt_count(row["shortfall"]), what=field_label(std.numerator.field, lang))
    if row["rows_without_value"]:
        text += _("; {n} rows without a value counted as 0").format(n=int(row["rows_without_value"]))
    return text


def measured(r: StandardResult, lang: str) -> str:
    """The value of the first unit (the region, for a standard on the whole region)."""
    row = r.detail.iloc[0]
    return fmt_against(row["value"], r.standard.min_value, row["verdict"] == MET, upper=False, decimals=2)


# --- maps -------------------------------------------------------------------------------------------------


def unit_style(std: RatioStandard, row, code, region, lang: str) -> tuple[int | None, list, str]:
    """Severity (0 meets, 3 below the floor, None not tested), popup lines, status."""
    _ = words(lang)
    meets = row["verdict"] == MET
    severity = None if row["verdict"] == NOT_TESTED else (0 if meets else 3)
    value = fmt_against(row["value"], std.min_value, meets, upper=False, decimals=2) if np.isfinite(row["value"]) else "-"
    lines = [
        (_("value"), f"{value} {std.unit(lang)}"),
        (_("floor"), f"{std.min_value:g}"),
        (_("numerator"), f"{fmt_count(row['numerator'])} ({row['numerator_field']})"),
        (_("denominator"), f"{fmt_count(row['denominator'])} ({row['denominator_field']})"),
        (_("shortfall"), fmt_count(row["shortfall"])),
    ]
    return severity, lines, verdict_word(row["verdict"], lang)


def failing(r: StandardResult, region, settlement_units: pd.DataFrame) -> pd.Index:
    """None: a ratio belongs to the unit as a whole, not to a settlement."""
    return pd.Index([])


KIND = Kind(
    name="ratio",
    order=3,
    standard=RatioStandard,
    spec=SPEC,
    build=build,
    assess=assess,
    target=target,
    meeting=meeting,
    meeting_short=meeting_short,
    worst=worst,
    rows="units",
    export=export_unit_rows,
    layer="ratio",
    file="units_ratio",
    map_family="units",
    unit_style=unit_style,
    map_title=N_("Ratios"),
    map_label=N_("ratios"),
    failing=failing,
    measured=measured,
    sheet=N_("Ratios"),
    people=(
        ("name", N_("unit"), "@"),
        ("value", N_("value"), "0.00"),
        ("min_value", N_("floor"), "0.00"),
        ("unit_words", N_("unit of measure"), "@"),
        ("shortfall", N_("shortfall"), "0"),
        ("reason", N_("why not tested"), "@"),
    ),
)
