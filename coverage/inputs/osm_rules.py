"""OpenStreetMap's rules for roads, as data: which ways exist, who may use them, which way, how fast.

The rules live in ``coverage/data/osm_rules.toml`` and load into a frozen
:class:`OsmRules`.  The functions here turn a road network's way tags into
per-way arrays for one travel mode: usable or not, direction, and speed.  Tags
are stored per way as categories (:class:`~coverage.network.TagColumn`), so each
rule is evaluated once per distinct tag value and spread to the ways by their codes.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ..errors import CatalogueError
from ..i18n import Msg
from ..tables import FieldSpec, check_table, read_toml, where_in

__all__ = [
    "BACKWARD",
    "BOTH",
    "CLOSED",
    "FORWARD",
    "ModeRules",
    "OsmRules",
    "access_value",
    "exclusion_report",
    "load_osm_rules",
    "node_closed",
    "parse_maxspeed",
    "road_class_name",
    "way_access",
    "way_direction",
    "way_kept",
    "way_speeds_kmh",
]

# Direction codes of a way for a mode.
BOTH, FORWARD, BACKWARD, CLOSED = 0, 1, -1, 2


@dataclass(frozen=True)
class ModeRules:
    """How one travel mode reads access, oneway and surface tags."""

    name: str
    access: tuple[str, ...]
    oneway: tuple[str, ...]
    junction_oneway: bool
    implied_oneway_highways: tuple[str, ...]
    tracktype_kmh: MappingProxyType[str, float]
    surface_max_kmh: MappingProxyType[str, float]


@dataclass(frozen=True)
class OsmRules:
    """The tagging rules of ``osm_rules.toml``."""

    known_highways: frozenset[str]
    excluded_highways: frozenset[str]
    area_excluded: frozenset[str]
    oneway_forward: frozenset[str]
    oneway_backward: frozenset[str]
    oneway_two_way: frozenset[str]
    oneway_closed: frozenset[str]
    junction_forward: frozenset[str]
    access_open: frozenset[str]
    access_closed: frozenset[str]
    modes: MappingProxyType[str, ModeRules]
    class_speed_words: frozenset[str]
    walk_kmh: float
    maxspeed_codes: MappingProxyType[str, float]
    motorroad_values: frozenset[str] = frozenset({"yes"})
    motorroad_closes: frozenset[str] = frozenset()
    barrier_closes: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    source: str = "coverage/data/osm_rules.toml"
    digest: str = ""

    def node_tag_keys(self) -> tuple[str, ...]:
        """Tags read on barrier nodes: ``barrier`` and every mode's access ladder."""
        keys = {"barrier"}
        for mode in self.modes.values():
            keys.update(mode.access)
        return tuple(sorted(keys))

    def tag_keys(self) -> tuple[str, ...]:
        """Every tag the rules read (the reader keeps only these, plus names and sources)."""
        keys = {
            "highway",
            "name",
            "ref",
            "source",
            "area",
            "junction",
            "maxspeed",
            "maxspeed:forward",
            "maxspeed:backward",
            "tracktype",
            "surface",
            "motorroad",
        }
        for mode in self.modes.values():
            keys.update(mode.access)
            keys.update(mode.oneway)
        return tuple(sorted(keys))


def _strings(value, where: str, key: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogueError(Msg("{where}: '{key}' must be a list of texts.", where=where, key=key))
    return frozenset(value)


def _ladder(value, where: str, key: str) -> tuple[str, ...]:
    _strings(value, where, key)
    return tuple(value)


def _speeds(value, where: str, key: str) -> MappingProxyType[str, float]:
    if not isinstance(value, dict):
        raise CatalogueError(Msg("{where}: '{key}' must be a table of speeds.", where=where, key=key))
    out = {}
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v) or v <= 0:
            raise CatalogueError(
                Msg(
                    "{where}: {key} must be a positive number of km/h, got {value}.", where=where, key=f"{key}.{k}", value=repr(v)
                )
            )
        out[k] = float(v)
    return MappingProxyType(out)


_MODE_SPEC = {
    "access": FieldSpec((list,)),
    "oneway": FieldSpec((list,)),
    "junction_oneway": FieldSpec((bool,)),
    "implied_oneway_highways": FieldSpec((list,)),
    "tracktype_kmh": FieldSpec((dict,)),
    "surface_max_kmh": FieldSpec((dict,)),
}


_TOP_SPEC = {
    "highway": FieldSpec((dict,)),
    "area": FieldSpec((dict,)),
    "oneway": FieldSpec((dict,)),
    "access": FieldSpec((dict,)),
    "mode": FieldSpec((dict,)),
    "maxspeed": FieldSpec((dict,)),
    "motorroad": FieldSpec((dict,), required=False),
    "barrier": FieldSpec((dict,), required=False),
}


def _mode_rules(data: dict, label: str, text: str) -> dict[str, ModeRules]:
    """The ``[mode.NAME]`` tables: per travel mode, its access and oneway ladders, implied oneways, track speeds."""
    modes = {}
    for name, table in data["mode"].items():
        where = where_in(label, text, f"mode.{name}")
        check_table(table, _MODE_SPEC, where=where)
        modes[name] = ModeRules(
            name=name,
            access=_ladder(table["access"], where, "access"),
            oneway=_ladder(table["oneway"], where, "oneway"),
            junction_oneway=table["junction_oneway"],
            implied_oneway_highways=_ladder(table["implied_oneway_highways"], where, "implied_oneway_highways"),
            tracktype_kmh=_speeds(table["tracktype_kmh"], where, "tracktype_kmh"),
            surface_max_kmh=_speeds(table["surface_max_kmh"], where, "surface_max_kmh"),
        )
    return modes


def _barriers(table: dict, where: str, modes) -> MappingProxyType:
    """The ``[barrier]`` table: per barrier value, the modes it closes by default."""
    check_table(table, {"closes": FieldSpec((dict,), required=False)}, where=where)
    out = {}
    for value, closed in table.get("closes", {}).items():
        names = _strings(closed, where, f"closes.{value}")
        unknown = sorted(names - set(modes))
        if unknown:
            raise CatalogueError(
                Msg(
                    "{where}: closes.{value} names no [mode.NAME] table: {modes}.",
                    where=where,
                    value=value,
                    modes=", ".join(unknown),
                )
            )
        out[value] = names
    return MappingProxyType(out)


def node_closed(node_tags, rules: OsmRules, mode: str) -> np.ndarray:
    """True per node a mode may not pass: its barrier closes the mode and its own access tags do not open it.

    ``node_tags`` are tag columns over the network's nodes (``barrier`` and the access
    ladders); a node's own ladder decides first (``foot=no`` on a gate closes it, ``motorcar=yes``
    on a bollard opens it), the barrier's default otherwise.
    """
    barrier = node_tags.get("barrier")
    if barrier is None:
        return np.zeros(0, bool)
    decided, allowed = _access_ladder(node_tags, rules, mode, len(barrier.codes))
    closed = np.where(decided, ~allowed, _per_value(barrier, lambda v: mode in rules.barrier_closes.get(v, ()), bool))
    return closed & (_per_value(barrier, bool, bool))  # only barrier nodes: an access tag on a plain node is a way's business


def _motorroad(table: dict, where: str, modes) -> dict:
    """The ``[motorroad]`` table: which values mean a motorroad, and the modes it closes (named modes only)."""
    check_table(table, {"values": FieldSpec((list,), required=False), "closes": FieldSpec((list,), required=False)}, where=where)
    closes = _strings(table.get("closes", []), where, "closes")
    unknown = sorted(closes - set(modes))
    if unknown:
        raise CatalogueError(Msg("{where}: closes names no [mode.NAME] table: {modes}.", where=where, modes=", ".join(unknown)))
    return {"motorroad_values": _strings(table.get("values", ["yes"]), where, "values"), "motorroad_closes": closes}


def load_osm_rules(path: Path | str | None = None) -> OsmRules:
    """Load the OSM tagging rules (the built-in file, or a user's copy).

    Raises
    ------
    CatalogueError
        A malformed file, naming the file, the table and the key.
    """
    import hashlib

    data, text, label = read_toml(path, default="osm_rules.toml")
    check_table(data, _TOP_SPEC, where=label)
    sect = {k: where_in(label, text, k) for k in _TOP_SPEC}
    hw, ow, acc, ms = data["highway"], data["oneway"], data["access"], data["maxspeed"]
    check_table(hw, {"known": FieldSpec((list,)), "excluded": FieldSpec((list,))}, where=sect["highway"])
    check_table(data["area"], {"excluded_values": FieldSpec((list,))}, where=sect["area"])
    check_table(
        ow,
        {k: FieldSpec((list,)) for k in ("forward", "backward", "two_way", "closed", "junction_implies_forward")},
        where=sect["oneway"],
    )
    check_table(acc, {"open": FieldSpec((list,)), "closed": FieldSpec((list,))}, where=sect["access"])
    check_table(
        ms,
        {"class_speed_words": FieldSpec((list,)), "walk_kmh": FieldSpec((int, float)), "codes": FieldSpec((dict,))},
        where=sect["maxspeed"],
    )
    modes = _mode_rules(data, label, text)
    if not modes:
        raise CatalogueError(Msg("{where}: define at least one [mode.NAME] table.", where=sect["mode"]))
    walk = ms["walk_kmh"]
    if not np.isfinite(walk) or walk <= 0:
        raise CatalogueError(
            Msg("{where}: walk_kmh must be a positive number, got {value}.", where=sect["maxspeed"], value=repr(walk))
        )
    return OsmRules(
        known_highways=_strings(hw["known"], sect["highway"], "known"),
        excluded_highways=_strings(hw["excluded"], sect["highway"], "excluded"),
        area_excluded=_strings(data["area"]["excluded_values"], sect["area"], "excluded_values"),
        oneway_forward=_strings(ow["forward"], sect["oneway"], "forward"),
        oneway_backward=_strings(ow["backward"], sect["oneway"], "backward"),
        oneway_two_way=_strings(ow["two_way"], sect["oneway"], "two_way"),
        oneway_closed=_strings(ow["closed"], sect["oneway"], "closed"),
        junction_forward=_strings(ow["junction_implies_forward"], sect["oneway"], "junction_implies_forward"),
        access_open=_strings(acc["open"], sect["access"], "open"),
        access_closed=_strings(acc["closed"], sect["access"], "closed"),
        modes=MappingProxyType(modes),
        class_speed_words=_strings(ms["class_speed_words"], sect["maxspeed"], "class_speed_words"),
        walk_kmh=float(walk),
        maxspeed_codes=_speeds(ms["codes"], sect["maxspeed"], "codes"),
        **_motorroad(data.get("motorroad", {}), sect["motorroad"], modes),
        barrier_closes=_barriers(data.get("barrier", {}), sect["barrier"], modes),
        source=label,
        digest=hashlib.sha256(text.encode()).hexdigest(),
    )


_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.I)


def parse_maxspeed(text: str, rules: OsmRules) -> float:
    """One ``maxspeed`` value in km/h; NaN where it names no number (absent, ``none``, unknown code).

    Several values separated by ``;`` give the lowest; ``mph`` is converted;
    ``COUNTRY:zone`` codes and ``walk`` are looked up in the rules.
    """
    if not text:
        return np.nan
    speeds = []
    for part in str(text).split(";"):
        part = part.strip()
        m = _NUMBER.match(part)
        if m:
            kmh = float(m.group(1)) * (1.609344 if (m.group(2) or "").lower() == "mph" else 1.0)
            if kmh > 0:
                speeds.append(kmh)
        elif part in rules.maxspeed_codes:
            speeds.append(rules.maxspeed_codes[part])
        elif part == "walk":
            speeds.append(rules.walk_kmh)
    return min(speeds) if speeds else np.nan


def _is_number_word(text: str, rules: OsmRules) -> bool:
    return not text or all(p.strip() in rules.class_speed_words for p in str(text).split(";"))


def _per_value(column, fn, dtype) -> np.ndarray:
    """Apply ``fn`` to each distinct value of a tag column and spread to the ways."""
    out = np.array([fn(v) for v in column.values], dtype=dtype) if len(column.values) else np.empty(0, dtype)
    return out[column.codes]


def access_value(value: str, rules: OsmRules) -> bool | None:
    """What an access value says: True (open), False (closed) or None (nothing known).

    A value list (``agricultural;forestry``) opens the way if any listed value opens it,
    and closes it if none does and one closes it (OSM wiki, Semi-colon value separator).
    """
    parts = [p.strip() for p in value.split(";")] if ";" in value else [value]
    if any(p in rules.access_open for p in parts):
        return True
    if any(p in rules.access_closed for p in parts):
        return False
    return None


def _access_ladder(tags, rules: OsmRules, mode: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A mode's access ladder over tag columns (of ways or of nodes), most specific tag first.

    Returns (decided, allowed): where some tag of the ladder said open or closed, and what
    it said (allowed is True where nothing decided).
    """
    decided, allowed = np.zeros(n, bool), np.ones(n, bool)
    for key in reversed(rules.modes[mode].access):
        col = tags.get(key)
        if col is None:
            continue
        said = _per_value(col, lambda v: {True: 1, False: 0, None: -1}[access_value(v, rules)], np.int8)
        now = ~decided & (said >= 0)
        allowed[now] = said[now] == 1
        decided |= now
    return decided, allowed


def way_access(network, rules: OsmRules, mode: str) -> np.ndarray:
    """True per way where the mode may use it by its access tags (the road class is the profile's business).

    The ladder of the mode's tags, most specific first; where none decides, ``motorroad=yes``
    closes the way to the modes the rules list (``[motorroad] closes``).
    """
    decided, allowed = _access_ladder(network.tags, rules, mode, network.n_ways)
    col = network.tags.get("motorroad")
    if col is not None and mode in rules.motorroad_closes:
        allowed[~decided & _per_value(col, lambda v: v in rules.motorroad_values, bool)] = False
    return allowed


def way_direction(network, rules: OsmRules, mode: str) -> np.ndarray:
    """Direction code per way for a mode: :data:`BOTH`, :data:`FORWARD`, :data:`BACKWARD` or :data:`CLOSED`."""
    m = rules.modes[mode]
    out = np.full(network.n_ways, BOTH, np.int8)
    decided = np.zeros(network.n_ways, bool)

    def code(v: str) -> int:
        if v in rules.oneway_forward:
            return FORWARD
        if v in rules.oneway_backward:
            return BACKWARD
        if v in rules.oneway_two_way:
            return BOTH
        if v in rules.oneway_closed:
            return CLOSED
        return 99  # absent or unrecognised: no information

    for key in reversed(m.oneway):
        col = network.tags.get(key)
        if col is None:
            continue
        c = _per_value(col, code, np.int8)
        now = ~decided & (c != 99)
        out[now] = c[now]
        decided |= now
    implied = np.zeros(network.n_ways, bool)
    if m.junction_oneway and "junction" in network.tags:
        implied |= _per_value(network.tags["junction"], lambda v: v in rules.junction_forward, bool)
    if m.implied_oneway_highways:
        implied |= _per_value(network.tags["highway"], lambda v: v in m.implied_oneway_highways, bool)
    out[~decided & implied] = FORWARD
    return out


def way_speeds_kmh(network, rules: OsmRules, profile) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward speed of every way for a profile; NaN where the profile does not use its class.

    Order: the profile's class speed; on tracks, the tracktype speed; a tagged
    ``maxspeed`` (direction-specific ones first) when the profile uses them;
    the surface's upper bound; the profile's ``max_kmh``.
    """
    m = rules.modes[profile.mode]
    hw = network.tags["highway"]
    base = _per_value(hw, lambda v: profile.speeds_kmh.get(v, np.nan), float)
    if m.tracktype_kmh and "tracktype" in network.tags:
        grade = _per_value(network.tags["tracktype"], lambda v: m.tracktype_kmh.get(v, np.nan), float)
        is_track = _per_value(hw, lambda v: v == "track", bool)
        base = np.where(is_track & np.isfinite(grade) & np.isfinite(base), grade, base)
    fwd, bwd = base.copy(), base.copy()
    if profile.use_maxspeed:
        general = _maxspeed_of(network, "maxspeed", rules)
        for key, arr in (("maxspeed:forward", fwd), ("maxspeed:backward", bwd)):
            tagged = _maxspeed_of(network, key, rules)
            speed = np.where(np.isfinite(tagged), tagged, general)
            use = np.isfinite(speed) & np.isfinite(arr)
            arr[use] = speed[use]
    if m.surface_max_kmh and "surface" in network.tags:
        cap = _per_value(network.tags["surface"], lambda v: m.surface_max_kmh.get(v, np.inf), float)
        fwd, bwd = np.minimum(fwd, cap), np.minimum(bwd, cap)
    return np.minimum(fwd, profile.max_kmh), np.minimum(bwd, profile.max_kmh)


def _maxspeed_of(network, key: str, rules: OsmRules) -> np.ndarray:
    col = network.tags.get(key)
    if col is None:
        return np.full(network.n_ways, np.nan)
    return _per_value(col, lambda v: parse_maxspeed(v, rules), float)


def exclusion_report(network, rules: OsmRules) -> dict[str, Counter]:
    """Ways left out or tags not understood, by value (for one warning per road file).

    Returns
    -------
    dict
        ``excluded`` (highway values in the rules' excluded list), ``unknown`` (highway
        values in neither list), ``area`` (area ways), ``access``/``oneway``/``maxspeed``
        (values the rules do not recognise), each a Counter of value -> ways.
    """
    hw = network.tags["highway"]
    ways = Counter(hw.codes.tolist())
    out = {k: Counter() for k in ("excluded", "unknown", "area", "access", "oneway", "maxspeed", "barrier")}
    for mode in rules.modes:
        closed = node_closed(network.node_tags, rules, mode)
        if closed.any():
            values = network.node_tags["barrier"].strings()[closed]
            out["barrier"].update(f"barrier={v} ({mode})" for v in values)
    for code, n in ways.items():
        v = hw.values[code]
        if v in rules.excluded_highways:
            out["excluded"][v] += n
        elif v not in rules.known_highways:
            out["unknown"][v or "(empty)"] += n
    if "area" in network.tags:
        col = network.tags["area"]
        for code, n in Counter(col.codes.tolist()).items():
            if col.values[code] in rules.area_excluded:
                out["area"][f"area={col.values[code]}"] += n
    access_keys = {k for m in rules.modes.values() for k in m.access}
    oneway_keys = {k for m in rules.modes.values() for k in m.oneway}
    known_access = rules.access_open | rules.access_closed | {""}
    known_oneway = rules.oneway_forward | rules.oneway_backward | rules.oneway_two_way | rules.oneway_closed | {""}
    for keys, known, name in ((access_keys, known_access, "access"), (oneway_keys, known_oneway, "oneway")):
        for key in sorted(keys):
            col = network.tags.get(key)
            if col is None:
                continue
            for code, n in Counter(col.codes.tolist()).items():
                if any(part.strip() not in known for part in col.values[code].split(";")):
                    out[name][f"{key}={col.values[code]}"] += n
    for key in ("maxspeed", "maxspeed:forward", "maxspeed:backward"):
        col = network.tags.get(key)
        if col is None:
            continue
        for code, n in Counter(col.codes.tolist()).items():
            v = col.values[code]
            if v and np.isnan(parse_maxspeed(v, rules)) and not _is_number_word(v, rules):
                out["maxspeed"][f"{key}={v}"] += n
    return out


def way_kept(network, rules: OsmRules) -> np.ndarray:
    """True per way that is a road at all: a known highway value, not excluded, not an area."""
    hw = network.tags["highway"]
    ok = _per_value(hw, lambda v: v in rules.known_highways and v not in rules.excluded_highways, bool)
    if "area" in network.tags:
        ok &= ~_per_value(network.tags["area"], lambda v: v in rules.area_excluded, bool)
    return ok


@functools.cache
def _road_class_names() -> dict[str, str]:
    data, _text, _label = read_toml(None, default="road_classes.toml")
    return {str(k): str(v) for k, v in data.get("zh", {}).items()}


def road_class_name(value: str, lang: str = "en") -> str:
    """An OpenStreetMap ``highway`` value as people read it: the value in English, its Chinese name in Chinese."""
    return _road_class_names().get(value, value) if lang == "zh" else value
