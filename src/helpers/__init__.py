"""Library behind the executable analysis book.

Every chapter notebook in ``notebooks/`` is a thin layer of parameters, calls,
figures and prose over the modules in this package, so that the analysis can
be unit-tested and re-used on a researcher's own crawl exports.

One subpackage per method step: :mod:`helpers.data` (chapter 01), :mod:`helpers.sentiment`
(02), :mod:`helpers.engagement` (03), :mod:`helpers.networks` (04), :mod:`helpers.cnsd` (05);
:mod:`helpers.synth` generates the embedded corpora, :mod:`helpers.study` holds the published
values, :mod:`helpers.book` runs and publishes the book.  Written once for all of them:
:mod:`helpers.config` (paths, environment variables), :mod:`helpers.torch_device` (device
choice, mean pooling), :mod:`helpers.jsonio` (JSON defaults), :mod:`helpers.markdown` (tables).
"""

__version__ = "0.1.0"
