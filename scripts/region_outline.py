"""Writes the board map's bundled outline of the demo region (Germany) as a small GeoJSON.

The source is Natural Earth's 1:50m admin-0 boundaries (public domain) as redistributed by the npm
package ``world-atlas`` (TopoJSON, ISC). The board draws the map itself, so no tile server is
contacted; the outline is generated once and committed:

    npm pack world-atlas@2 && tar xzf world-atlas-2.0.2.tgz
    python scripts/region_outline.py package/countries-50m.json web/assets/js/board/region-outline.json

Coordinates are rounded to 0.01 degree (about 1 km) and islands under 5 points are dropped, which
keeps the file a few kilobytes: the outline is orientation, not cartography.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

COUNTRY = "Germany"
DIGITS = 2
MIN_POINTS = 5


def arcs_of(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """The topology's arcs in degrees (they are quantized and delta-encoded)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])  # consecutive arcs share their end point
    out: list[list[float]] = []
    for lon, lat in points:
        rounded = [round(lon, DIGITS), round(lat, DIGITS)]
        if not out or out[-1] != rounded:
            out.append(rounded)
    return out


def outline(topology: dict[str, Any], name: str) -> dict[str, Any]:
    arcs = arcs_of(topology)
    geometry = next(g for g in topology["objects"]["countries"]["geometries"] if g["properties"]["name"] == name)
    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    coordinates = []
    for polygon in polygons:
        rings = [ring(r, arcs) for r in polygon]
        if len(rings[0]) >= MIN_POINTS:
            coordinates.append(rings)
    return {
        "type": "Feature",
        "properties": {"name": name, "source": "Natural Earth 1:50m admin 0 (public domain), via world-atlas"},
        "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
    }


def main(source: str, target: str) -> None:
    topology = json.loads(Path(source).read_text())
    Path(target).write_text(json.dumps(outline(topology, COUNTRY), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
