"""A region folder's ``region.toml``: which files make the region, and its vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import CatalogueError
from ..i18n import Msg
from ..tables import FieldSpec, check_table, read_toml, suggest
from .config import Vocabulary, load_vocabulary, vocabulary_from_table

__all__ = ["DEFAULT_STANDARDS", "Manifest", "read_manifest", "region_vocabulary"]

_LAYER_KEYS = ("boundary", "units", "settlements", "facilities", "roads")


_TERRAIN_KEYS = ("landcover", "landcover_speeds", "dem", "barriers", "crossings")


_REGION_SPEC = {
    "name_zh": FieldSpec((str,), required=False),
    "name_en": FieldSpec((str,), required=False),
    **{k: FieldSpec((str,), required=False) for k in (*_LAYER_KEYS, *_TERRAIN_KEYS)},
    "terrain_cell_m": FieldSpec((int, float), required=False),
    "use_terrain": FieldSpec((bool,), required=False),
    "parents": FieldSpec((list,), required=False),
    "coords": FieldSpec((str,), required=False),
    "complete_types": FieldSpec((list,), required=False),
    "vocabulary": FieldSpec((dict,), required=False),
    "standards": FieldSpec((list, str), required=False),
    "facility_types": FieldSpec((str,), required=False),
}
#: The catalogues of a region that names none (the national ones; GB 50180 applies to urban classes).
DEFAULT_STANDARDS = ("gb50180", "tdt1062")


COORDS = ("wgs84", "gcj02")


@dataclass(frozen=True)
class Manifest:
    """What a region folder's ``region.toml`` says (every key optional but the point layers)."""

    base: Path | None
    data: dict
    label: str = ""

    def file(self, key: str) -> Path | None:
        """The path of a layer named in the manifest (relative to its folder)."""
        return self.base / self.data[key] if self.base is not None and key in self.data else None

    def standards(self) -> tuple[str, ...]:
        """The catalogues the region is checked against: built-in names, or ``.toml`` files relative to its folder."""
        given = self.data.get("standards", DEFAULT_STANDARDS)
        given = [given] if isinstance(given, str) else given
        return tuple(str(self.base / g) if self.base is not None and str(g).endswith(".toml") else str(g) for g in given)


def read_manifest(region_dir: Path) -> Manifest:
    """Read and check a region folder's ``region.toml``.

    Raises
    ------
    CatalogueError
        No manifest, unknown keys (with a suggestion), wrong types, an unknown ``coords``.
    """
    path = region_dir / "region.toml"
    if not region_dir.is_dir():
        raise CatalogueError(Msg("{path}: not a folder; --region takes a folder holding a region.toml.", path=region_dir))
    if not path.exists():
        raise CatalogueError(
            Msg(
                "{path}: no region.toml here; a region folder needs one naming its files "
                "(see coverage/data/regions/tengger/region.toml), or give --settlements and --facilities.",
                path=region_dir,
            )
        )
    data, _text, label = read_toml(path, default="")
    check_table(data, _REGION_SPEC, where=label)
    for key in ("settlements", "facilities"):
        if key not in data:
            raise CatalogueError(Msg("{path}: missing key '{key}' (the file name of that layer).", path=label, key=key))
    if "coords" in data and data["coords"] not in COORDS:
        hint = suggest(data["coords"].replace("-", "").lower(), COORDS) or suggest(data["coords"], COORDS)
        raise CatalogueError(
            Msg(
                "{path}: coords = '{value}' is not {choices}{suggestion}.",
                path=label,
                value=data["coords"],
                choices=Msg("{a} or {b}", a=COORDS[0], b=COORDS[1]),
                suggestion=hint,
            )
        )
    return Manifest(region_dir, data, label)


def region_vocabulary(manifest: Manifest) -> Vocabulary:
    """The region's declared vocabulary, or the default one."""
    if "vocabulary" in manifest.data:
        return vocabulary_from_table(manifest.data["vocabulary"], where=f"{manifest.label}, [vocabulary]")
    return load_vocabulary()
