"""The flexibility chart: one panel per test, its unit, its cut-off and its better side."""

from __future__ import annotations

from advisor.core import knowledge
from advisor.output.chart import Panel, flexibility_chart
from advisor.output.diagram import to_svg

KB = knowledge.load()


def test_every_charted_test_gets_its_own_panel_with_cut_off_and_better_side() -> None:
    slr = Panel("Passive straight-leg raise", "°", [("2026-06-15", 62.0), ("2026-08-15", 83.0)], 80.0, "higher")
    ake = Panel("Active knee extension deficit", "°", [("2026-06-15", 36.0), ("2026-08-15", 22.0)], 23.4, "lower")
    chart = flexibility_chart([slr, ake])
    assert chart is not None
    zones = [s for s in chart.shapes if s.kind == "rect" and s.role == "zone"]
    cutoffs = [s for s in chart.shapes if s.role == "guide" and s.dashed]
    assert len(zones) == 2 and len(cutoffs) == 2
    # The two panels do not overlap: opposite "better" directions never share an axis.
    axes = [s for s in chart.shapes if s.kind == "line" and s.role == "wheel" and s.points[0] == s.points[2]]
    assert len({s.points[0] for s in axes}) == 2
    # Higher is better above the straight-leg raise's cut-off; lower below the deficit's.
    slr_zone, ake_zone = sorted(zones, key=lambda s: s.points[0])
    slr_cut, ake_cut = sorted(cutoffs, key=lambda s: s.points[0])
    assert slr_zone.points[1] + slr_zone.points[3] == slr_cut.points[1]  # zone ends at the cut-off line
    assert ake_zone.points[1] == ake_cut.points[1]  # zone starts at the cut-off line
    svg = to_svg(chart, "Flexibility")
    assert "cut-off 80°" in svg and "cut-off 23.4°" in svg and svg.count(">better<") == 2
    assert "Passive straight-leg raise (°)" in svg


def test_a_test_measured_once_is_not_charted() -> None:
    once = Panel("Passive straight-leg raise", "°", [("2026-06-15", 62.0)], 80.0, "higher")
    assert flexibility_chart([once]) is None


def test_the_chart_cut_offs_are_the_findings_cut_offs() -> None:
    charts = {c.answer: c for c in KB.charts.values()}
    assert charts["passive_slr_deg"].cutoff == 80 and charts["passive_slr_deg"].better == "higher"
    ake = charts["active_knee_extension_deg"]
    assert ake.better == "lower"
    assert (ake.cutoff_for("female"), ake.cutoff_for("male"), ake.cutoff_for(None)) == (23.4, 33.0, 20)
