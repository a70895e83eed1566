"""A pandas frame as an R data.frame through rpy2's own converter, without importing pymer4.

:func:`helpers.engagement.r_bridge.to_r_frame` goes through pymer4's polars bridge, and
importing it imports pymer4, which loads a dozen R packages for its extras: a start-up cost
larger than the fits of chapter 06's default specification curve.  The curve's
lme4 fits and the mixed negative-binomial fits need none of that, so they convert here.
Text columns arrive as character vectors (lme4 and glmmTMB turn grouping factors into
factors themselves), numbers as numeric or integer vectors; a test checks that a fit on a frame
converted here equals the fit on a frame converted by pymer4's bridge.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def to_r_frame(data: pd.DataFrame) -> Any:
    """``data`` as an R data.frame (rpy2 ``pandas2ri``); nullable integers become numeric."""
    import rpy2.robjects as ro
    from rpy2.robjects import pandas2ri
    from rpy2.robjects.conversion import localconverter

    from helpers.engagement.r_bridge import start_r

    start_r(pymer4=False)
    frame = data.copy()
    for column in frame.columns:
        dtype = frame[column].dtype
        if (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dtype)
                or pd.api.types.is_string_dtype(dtype)):
            frame[column] = frame[column].astype(str)
        elif pd.api.types.is_extension_array_dtype(dtype):  # Int64 / Float64 with pd.NA
            frame[column] = frame[column].astype("float64")
    frame = frame.reset_index(drop=True)
    with localconverter(ro.default_converter + pandas2ri.converter):
        return ro.conversion.py2rpy(frame)
