"""Figures from sweep tables (pandas DataFrames, one row per cell; see ``expfam_nash.sweep``).

``plot_uniqueness_table`` draws the uniqueness map (``verify``'s verdict over labelled weight
alpha x L2 weight rho, one panel per game) from a table of verify cells. Several seeds per map
cell are pooled honestly: the cell shows the most severe category any seed found (escape >
continuum > not unique > one class with uniqueness undecided > unique > none certified), its text
the range of certified classes, undecided runs and certified escapes over the seeds, and, when the seeds disagree, how many of them found the category shown.
Seeds that each found one class do not prove they found the *same* class (the table holds no
invariants); pool evidence by raising ``starts`` instead.
"""
from __future__ import annotations

from matplotlib.figure import Figure

from .uniqueness import CATEGORIES, cell_text, plot_uniqueness_map

#: pooled over seeds, the first category in this order that any seed found is shown
SEVERITY = ("escape", "continuum", "not unique", "one class, uniqueness undecided", "unique", "none certified")
assert set(SEVERITY) == set(CATEGORIES)
NEEDED = ("category", "classes", "escaped", "not_converged")


def _span(values) -> str:
    lo, hi = min(values), max(values)
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


def _pool(rows) -> tuple[str, str]:
    """(category, text) of one map cell from its rows (one per seed)."""
    cats = [str(c) for c in rows["category"]]
    shown = next(c for c in SEVERITY if c in cats)
    text = cell_text(_span([int(v) for v in rows["classes"]]), _span([int(v) for v in rows["not_converged"]]),
                     _span([int(v) for v in rows["escaped"]]))
    if len(set(cats)) > 1:
        text += f"\n{cats.count(shown)}/{len(cats)} seeds"
    return shown, text


def _label(panel: tuple[str, ...], values: tuple, labels: dict | None) -> str:
    key = values[0] if len(values) == 1 else values
    if labels and key in labels:
        return labels[key]
    return " ".join(str(v) for v in values) if len(panel) > 1 else str(values[0])


def uniqueness_panels(table, panel: str | tuple[str, ...] = "model", x: str = "alpha", y: str = "rho",
                      seed: str = "seed", labels: dict | None = None) -> dict:
    """{panel label: {alphas, rhos, category[i_rho][i_alpha], text[i_rho][i_alpha], seeds}} (the
    ``uniqueness_map`` figure's data) from a table of verify cells. ``panel``: the column(s)
    telling games apart; ``labels``: panel value -> label. ValueError when a column is missing,
    a row holds an error, or two rows of one map cell share a seed (another parameter varies)."""
    panel = (panel,) if isinstance(panel, str) else tuple(panel)
    missing = [c for c in (*panel, x, y, seed, *NEEDED) if c not in table.columns]
    if missing:
        raise ValueError(f"table: no column {missing[0]!r} (a table of verify cells is needed)")
    if "error" in table.columns and table["error"].notna().any():
        bad = table[table["error"].notna()]
        raise ValueError(f"table: {len(bad)} rows hold an error (first: {bad['error'].iloc[0]}); rerun them "
                         "with --retry-errors or drop them")
    if table.duplicated(list((*panel, x, y, seed))).any():
        raise ValueError(f"table: two rows share {', '.join((*panel, x, y, seed))}: another parameter varies; "
                         "add it to panel or filter the table")
    unknown = set(map(str, table["category"].unique())) - set(SEVERITY)
    if unknown:
        raise ValueError(f"table: unknown category {sorted(unknown)[0]!r}; expected one of {', '.join(SEVERITY)}")
    panels = {}
    for values, sub in table.groupby(list(panel), sort=False):
        values = values if isinstance(values, tuple) else (values,)
        xs, ys = sorted(sub[x].unique()), sorted(sub[y].unique())
        cat = [[None] * len(xs) for _ in ys]
        text = [[None] * len(xs) for _ in ys]
        for (xv, yv), cell in sub.groupby([x, y]):
            i, j = ys.index(yv), xs.index(xv)
            cat[i][j], text[i][j] = _pool(cell)
        holes = [(xs[j], ys[i]) for i in range(len(ys)) for j in range(len(xs)) if cat[i][j] is None]
        if holes:
            raise ValueError(f"table: no row for {x}={holes[0][0]}, {y}={holes[0][1]} in panel {values}")
        panels[_label(panel, values, labels)] = {
            "alphas": [float(v) for v in xs], "rhos": [float(v) for v in ys], "category": cat, "text": text,
            "seeds": sorted(int(s) for s in sub[seed].unique())}
    return panels


def plot_uniqueness_table(table, panel: str | tuple[str, ...] = "model", x: str = "alpha", y: str = "rho",
                          seed: str = "seed", labels: dict | None = None, title: str | None = None) -> Figure:
    """The uniqueness map of a table of verify cells (see :func:`uniqueness_panels`)."""
    panels = uniqueness_panels(table, panel, x, y, seed, labels)
    seeds = sorted({s for p in panels.values() for s in p["seeds"]})
    starts = sorted(table["starts"].unique()) if "starts" in table.columns else []
    title = title or (f"verify ({'/'.join(str(s) for s in starts) or '?'} starts, {len(seeds)} seed"
                      f"{'s' if len(seeds) != 1 else ''}) over labelled weight alpha x L2 penalty rho: "
                      "classes found (cl) and escaped runs (esc)")
    return plot_uniqueness_map(panels, title=title)
