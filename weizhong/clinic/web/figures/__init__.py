"""Clinic figures as HTML and SVG strings: the clickable body chart, the points proposed on a
body figure, and outcome charts.

Standard library only, so the Django views just drop the strings into templates (mark them safe:
every piece of text put in here goes through :func:`html.escape`). Colours are SVG presentation
attributes rather than CSS, so the figures look right under a strict content security policy;
``static/clinic/bodychart.js`` switches them when a region is chosen.

The body is drawn in a 200 × 460 box per view. Limbs are tapered "tubes" along a centre line, so a
region is simply a stretch of a tube (along its length) and a strip of it (across its width); the
regions then follow the outline exactly. The figure is built for its left half on screen and
mirrored for the right half.

The parts: ``body`` (the figure and the clickable chart), ``points`` (points on the figure)
and ``charts`` (outcome and angle charts).
"""

from weizhong.clinic.records.regions import REGION_NAMES
from weizhong.knowledge.atlas import MUSCLE_REGIONS

from .body import (
    REGION_CENTRES,
    REGION_GROUPS,
    REGION_IDS,
    ROLE_NAMES,
    VIEWS,
    body_chart_html,
)
from .charts import angles_chart_svg, outcome_chart_svg
from .points import points_figure_svg

__all__ = [
    "MUSCLE_REGIONS",
    "REGION_CENTRES",
    "REGION_GROUPS",
    "REGION_IDS",
    "REGION_NAMES",
    "ROLE_NAMES",
    "VIEWS",
    "angles_chart_svg",
    "body_chart_html",
    "outcome_chart_svg",
    "points_figure_svg",
]
