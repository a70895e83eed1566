"""Running and publishing the book: the run folder, the papermill runner,
building the Jupyter Book, the generated pages, sweeps, Dask scale-out and the
Colab set-up. Nothing here is part of the analysis."""
