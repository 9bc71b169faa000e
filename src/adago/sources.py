"""Where each data set comes from, with the checksum that pins the exact file.

The workflow's download rule looks a source up here by name and calls :func:`adago.download.fetch`
with its URL and checksum (the extract rule takes ``member``); :func:`fetch_source` does both steps
for library users outside the workflow.
"""

from __future__ import annotations

import os
from pathlib import Path

from adago.download import MIRROR_ENV, extract_member, fetch

SOURCES: dict[str, dict] = {
    # Monti et al. (2017), fixed train/test split inside the file; pinned to a commit of fmonti/mgcnn.
    "douban": {
        "url": "https://raw.githubusercontent.com/fmonti/mgcnn/75843411c72c1a81c9c086d21cda4ec98f1d9226/"
        "Data/douban/training_test_dataset.mat",
        "sha256": "1f4476321cbfe0f606e7e35d0695ca15447a1b0b2c811df130109b6cb9a067ae",
        "mirror_relpath": "douban/training_test_dataset.mat",
        "member": None,
        "fmt": "monti-mat",
        "rating_range": (1, 5),
    },
    # GroupLens publishes only an MD5 for ml-1m.zip; no SHA-256 is known to us.
    "ml1m": {
        "url": "https://files.grouplens.org/datasets/movielens/ml-1m.zip",
        "md5": "c4d9eecfca2ab87c1945afe126590906",
        "mirror_relpath": "ml1m/ml-1m.zip",
        "member": "ml-1m/ratings.dat",
        "fmt": "movielens",
        "rating_range": (1, 5),
    },
}


def resolve_mirror(config_value: str | os.PathLike | None = None) -> Path | None:
    """The mirror directory: the config value if set, else $ADAGO_MIRROR, else None."""
    value = config_value or os.environ.get(MIRROR_ENV) or None
    return Path(value) if value else None


def fetch_source(name: str, dest_dir: str | os.PathLike, *, mirror=None, timeout: float = 60) -> Path:
    """Fetch data set ``name`` into ``dest_dir``; return the path of the ratings file to read.

    For a zip source the archive is kept beside the extracted member (``dest_dir/ml-1m.zip`` and
    ``dest_dir/ratings.dat``), so a re-run finds the verified archive and does not download again.
    """
    try:
        src = SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(sorted(SOURCES))}") from None
    dest_dir = Path(dest_dir)
    archive = fetch(
        src["url"],
        dest_dir / Path(src["mirror_relpath"]).name,
        sha256=src.get("sha256"),
        md5=src.get("md5"),
        mirror=mirror,
        mirror_relpath=src["mirror_relpath"],
        timeout=timeout,
    )
    if not src.get("member"):
        return archive
    return extract_member(archive, src["member"], dest_dir / Path(src["member"]).name)
