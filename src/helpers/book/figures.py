"""Figure plumbing shared by the chapters: plotly renderer and pyvis embedding.

Jupyter Book keeps a plotly figure only when it was rendered with the
``notebook`` renderer (which embeds plotly.js), and a pyvis network only when
its HTML is self-contained and embedded in an ``<iframe srcdoc=…>``.
"""

from __future__ import annotations

import html as html_lib


def use_notebook_renderer() -> None:
    """Make plotly emit self-contained HTML that the built book keeps."""
    import plotly.io as pio

    pio.renderers.default = "notebook"


def iframe(document: str, height: int = 620):
    """Wrap a full HTML document (e.g. pyvis output) as an IPython HTML iframe."""
    from IPython.display import HTML

    escaped = html_lib.escape(document, quote=True)
    # Wrapped in a <div>: IPython warns about bare "<iframe" strings and suggests IFrame(),
    # which needs a URL, whereas the book needs the document inline.
    return HTML(
        f'<div class="embedded-network"><iframe srcdoc="{escaped}" style="width:100%;height:{height}px;border:1px solid #ddd" '
        'loading="lazy" sandbox="allow-scripts"></iframe></div>'
    )
