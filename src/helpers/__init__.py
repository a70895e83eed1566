"""Library behind the executable analysis book.

Every chapter notebook in ``notebooks/`` is a thin layer of parameters, calls,
figures and prose over the modules in this package, so that the analysis can
be unit-tested and re-used on a researcher's own crawl exports.
"""

__version__ = "0.1.0"
