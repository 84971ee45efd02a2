"""The policy map of the HTML report, laid out for an inline SVG: one column per level (international to
subnational), one band per country, a box per record; `implements` links as grey arrows and, for
each finding, an edge from its primary record to every other record it involves, in the colour and
dash pattern of the rule's family. Integer coordinates and sorted inputs: same report, same bytes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..findings import SEVERITIES, Finding
from ..report import RecordView
from ..vocab import LEVELS

NODE_W, NODE_H = 168, 22
GAP_X, GAP_Y = 14, 6
SLOTS = 2  # boxes side by side in one country's cell of a level, at most
LABEL_W = 64  # the country names' column
HEAD_H = 30  # the level names' row
BAND_PAD = 8
LABEL_CHARS = 20  # a box shows this much of the record id (the whole id is in its tooltip), then its findings
# Okabe-Ito and Tol colours, told apart by most colour-blind readers; the dash patterns tell the
# families apart where colour cannot (print, greyscale). Colour and pattern together are unique for
# the first twenty families.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#882255", "#44aa99", "#332288", "#999933")
DASHES = ("", "7 3", "2 3", "9 3 2 3")


@dataclass(frozen=True)
class Style:
    colour: str
    dash: str


def family_styles(families: list[str]) -> dict[str, Style]:
    return {
        family: Style(PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)]) for i, family in enumerate(sorted(families))
    }


@dataclass(frozen=True)
class Node:
    view: RecordView
    x: int
    y: int
    label: str
    findings: int
    worst: str  # the most severe finding's severity ("" without findings)


@dataclass(frozen=True)
class Edge:
    path: str  # the SVG path's `d`
    family: str  # "" for an implements link
    title: str


@dataclass(frozen=True)
class Column:
    level: str
    x: int
    width: int


@dataclass(frozen=True)
class Band:
    country: str
    y: int
    height: int


@dataclass(frozen=True)
class PolicyMap:
    width: int
    height: int
    columns: tuple[Column, ...]
    bands: tuple[Band, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    left_out_levels: tuple[str, ...]  # levels with no record on the map


def _label(view: RecordView, findings: int) -> str:
    """The record id without the country prefix its band shows, cut to leave room for the count of findings."""
    label = view.id.removeprefix(f"{view.country}-") or view.id
    room = LABEL_CHARS - (len(str(findings)) + 2 if findings else 0)
    return label if len(label) <= room else label[: room - 1] + "…"


def _curve(a: Node, b: Node, to_edge: bool = False) -> str:
    """A quadratic curve between two boxes' centres, bowed sideways so it does not run along a column;
    with `to_edge`, ending on b's border (where an arrowhead shows) instead of under the box."""
    x1, y1 = a.x + NODE_W / 2, a.y + NODE_H / 2
    x2, y2 = b.x + NODE_W / 2, b.y + NODE_H / 2
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1.0
    bow = max(24.0, length / 5)
    cx, cy = (x1 + x2) / 2 - dy / length * bow, (y1 + y2) / 2 + dx / length * bow
    if to_edge:  # step back from b's centre towards the control point until on b's border
        ex, ey = x2 - cx, y2 - cy
        step = min(NODE_W / 2 / abs(ex) if ex else math.inf, NODE_H / 2 / abs(ey) if ey else math.inf)
        x2, y2 = x2 - ex * step, y2 - ey * step
    return f"M{round(x1)} {round(y1)}Q{round(cx)} {round(cy)} {round(x2)} {round(y2)}"


def layout(views: list[RecordView], findings: list[Finding], family_of: dict[str, str]) -> PolicyMap:
    """The map of `views` (sorted by country, level and id here) and the findings among them."""
    by_id: dict[str, RecordView] = {}
    for view in sorted(views, key=lambda v: (v.country, LEVELS.index(v.level), v.id, v.path, v.line)):
        by_id.setdefault(view.id, view)
    involved: dict[str, list[Finding]] = {}
    for finding in findings:
        for record_id in records_of(finding):
            involved.setdefault(record_id, []).append(finding)
    cells: dict[tuple[str, str], list[RecordView]] = {}
    for view in by_id.values():
        cells.setdefault((view.country, view.level), []).append(view)
    levels = [level for level in LEVELS if any(lv == level for _, lv in cells)]
    slots = {level: min(SLOTS, max(len(v) for (_, lv), v in cells.items() if lv == level)) for level in levels}
    columns, x = [], LABEL_W
    for level in levels:
        width = slots[level] * (NODE_W + GAP_X)
        columns.append(Column(level, x, width))
        x += width + GAP_X
    column_x = {column.level: column.x for column in columns}
    nodes: dict[str, Node] = {}
    bands, y = [], HEAD_H
    for country in sorted({country for country, _ in cells}):
        rows = max(math.ceil(len(cells.get((country, level), [])) / slots[level]) for level in levels)
        height = rows * (NODE_H + GAP_Y) + 2 * BAND_PAD - GAP_Y
        bands.append(Band(country, y, height))
        for level in levels:
            for i, view in enumerate(cells.get((country, level), [])):
                row, slot = divmod(i, slots[level])
                about = involved.get(view.id, [])
                nodes[view.id] = Node(
                    view,
                    column_x[level] + slot * (NODE_W + GAP_X),
                    y + BAND_PAD + row * (NODE_H + GAP_Y),
                    _label(view, len(about)),
                    len(about),
                    max((f.severity for f in about), key=SEVERITIES.index, default=""),
                )
        y += height
    edges = [
        Edge(_curve(node, nodes[target], to_edge=True), "", f"{node.view.id} implements {target}")
        for node in nodes.values()
        for target in node.view.implements
        if target in nodes and target != node.view.id
    ]
    drawn = set()
    for finding in findings:
        on_map = [r for r in records_of(finding) if r in nodes]
        for other in on_map[1:]:
            key = (finding.rule, on_map[0], other)
            if key not in drawn:
                drawn.add(key)
                title = f"{finding.rule} {finding.name}: {on_map[0]} – {other}"
                edges.append(Edge(_curve(nodes[on_map[0]], nodes[other]), family_of[finding.rule], title))
    return PolicyMap(
        width=x,
        height=y + BAND_PAD,
        columns=tuple(columns),
        bands=tuple(bands),
        nodes=tuple(nodes.values()),
        edges=tuple(edges),
        left_out_levels=tuple(level for level in LEVELS if level not in levels),
    )


def records_of(finding: Finding) -> list[str]:
    """The records a finding involves, its primary location's first, each once."""
    ids = [loc.record for loc in finding.locations if loc.record] + list(finding.records)
    return list(dict.fromkeys(ids))
