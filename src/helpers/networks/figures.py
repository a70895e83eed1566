"""Figures of a term map: an interactive pyvis network and a static plotly VOS map.

Both place terms at their VOS coordinates (so the interactive network and the
static map agree with each other and with the VOSviewer export), colour them by
cluster and size them by occurrences, as VOSviewer's network view does.  Only
the strongest links are drawn: a few hundred terms have thousands of links and
drawing all of them hides the structure (VOSviewer also caps the links shown).

pyvis output is self-contained (``cdn_resources="in_line"``), so the built book
works offline; embed it with :func:`helpers.book.figures.iframe`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from helpers.networks.semantic_map import SemanticMap

#: Colour-blind-friendly categorical palette (Okabe–Ito, then Tableau extras).
PALETTE = (
    "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#CC79A7", "#0072B2", "#F0E442",
    "#999999", "#8C564B", "#17BECF", "#BCBD22", "#7F7F7F",
)


def cluster_colour(cluster: int) -> str:
    return PALETTE[int(cluster) % len(PALETTE)]


def strongest_links(c: sp.spmatrix, max_links: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and strengths of the ``max_links`` strongest links (each pair once)."""
    upper = sp.triu(sp.csr_matrix(c), k=1).tocoo()
    order = np.lexsort((upper.col, upper.row, -upper.data))[:max_links]
    return upper.row[order], upper.col[order], upper.data[order]


def _node_sizes(occurrences: np.ndarray, smallest: float, largest: float) -> np.ndarray:
    occ = np.sqrt(np.asarray(occurrences, dtype=float))
    span = occ.max() - occ.min()
    scaled = (occ - occ.min()) / span if span > 0 else np.full_like(occ, 0.5)
    return smallest + scaled * (largest - smallest)


def pyvis_html(
    smap: SemanticMap,
    glossary: Mapping[str, str] | None = None,
    max_links: int = 600,
    height: str = "540px",
    spread: float = 350.0,
) -> str:
    """Self-contained HTML document of an interactive network (drag, zoom, hover for details)."""
    from pyvis.network import Network

    glossary = glossary or {}
    net = Network(height=height, width="100%", cdn_resources="in_line", bgcolor="#ffffff")
    items = smap.items
    sizes = _node_sizes(items["occurrences"].to_numpy(), 8, 40)
    for i, row in enumerate(items.itertuples(index=False)):
        gloss = glossary.get(row.term, "")
        net.add_node(
            i,
            label=row.term,
            title=(f"{row.term} {('— ' + gloss) if gloss else ''}\ncluster {row.cluster + 1}\n"
                   f"occurrences {row.occurrences}\nlinks {row.links}\n"
                   f"total link strength {row.total_link_strength:g}"),
            color=cluster_colour(row.cluster),
            size=float(sizes[i]),
            x=float(row.x * spread),
            y=float(-row.y * spread),
            physics=False,
        )
    rows, cols, strength = strongest_links(smap.cooccurrence, max_links)
    widths = 0.5 + 4.0 * strength / strength.max() if len(strength) else strength
    for a, b, w, width in zip(rows, cols, strength, widths, strict=True):
        net.add_edge(int(a), int(b), value=float(w), width=float(width), title=f"{w:g}",
                     color={"color": "#bbbbbb", "opacity": 0.5})
    net.toggle_physics(False)
    return strip_remote_assets(net.generate_html())


_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=\"https?://[^>]*>", re.IGNORECASE)
_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=\"https?://[^>]*>\s*</script>", re.IGNORECASE)


def strip_remote_assets(document: str) -> str:
    """Remove the tags that still load from a CDN (pyvis' template adds Bootstrap even in_line).

    Bootstrap only styles pyvis' optional menus, which we do not use; without this the
    page would try to reach the internet and a strict offline reader sees errors.
    """
    return _REMOTE_SCRIPT.sub("", _REMOTE_LINK.sub("", document))


def plotly_map(
    smap: SemanticMap,
    title: str = "",
    glossary: Mapping[str, str] | None = None,
    max_links: int = 300,
    label_top: int = 60,
):
    """Static VOS map: terms at their coordinates, strongest links as faint lines."""
    import plotly.graph_objects as go

    glossary = glossary or {}
    items = smap.items
    fig = go.Figure()
    rows, cols, _ = strongest_links(smap.cooccurrence, max_links)
    xs = np.column_stack([items["x"].to_numpy()[rows], items["x"].to_numpy()[cols],
                          np.full(len(rows), np.nan)]).ravel()
    ys = np.column_stack([items["y"].to_numpy()[rows], items["y"].to_numpy()[cols],
                          np.full(len(rows), np.nan)]).ravel()
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"width": 0.5, "color": "#cccccc"},
                             hoverinfo="skip", showlegend=False))
    sizes = _node_sizes(items["occurrences"].to_numpy(), 6, 30)
    shown = set(items.nlargest(label_top, "occurrences").index)
    for cluster, group in items.groupby("cluster", sort=True):
        fig.add_trace(
            go.Scatter(
                x=group["x"], y=group["y"], mode="markers+text",
                name=f"cluster {int(cluster) + 1}",
                text=[t if i in shown else "" for i, t in zip(group.index, group["term"], strict=True)],
                textposition="top center", textfont={"size": 10},
                marker={"size": sizes[group.index], "color": cluster_colour(int(cluster)),
                        "line": {"width": 0.5, "color": "#333"}},
                customdata=np.column_stack([
                    group["term"], [glossary.get(t, "") for t in group["term"]],
                    group["occurrences"], group["links"], group["total_link_strength"]]),
                hovertemplate=("%{customdata[0]} %{customdata[1]}<br>occurrences %{customdata[2]}"
                               "<br>links %{customdata[3]}<br>TLS %{customdata[4]}<extra></extra>"),
            )
        )
    fig.update_layout(title=title, height=560, template="plotly_white",
                      xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x"},
                      legend={"orientation": "h"})
    return fig


def warning_html(title: str, lines: list[str]) -> str:
    """A warning box in the theme's admonition style (rendered by the book and by Jupyter)."""
    import html

    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return (f'<div class="admonition warning" style="border-left:4px solid #D55E00;padding:0.5em 1em;'
            f'background:#fff4ec"><p class="admonition-title" style="font-weight:bold">{html.escape(title)}</p>'
            f"<ul>{items}</ul></div>")
