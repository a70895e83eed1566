"""Running and publishing the book: the run folder, the papermill runner,
building the Jupyter Book, the typed results each chapter hands to the generated
pages (:mod:`helpers.book.results_schema`), sweeps, Dask scale-out and the Colab
set-up. Nothing here is part of the analysis."""
