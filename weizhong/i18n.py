"""Translation: user-facing text goes through ``_()`` so that clinics abroad can translate it.

The core is Django-free, so it uses the standard library's gettext with the ``weizhong`` domain;
catalogues go in ``weizhong/locale/<lang>/LC_MESSAGES/weizhong.mo`` (none ship yet, so English
is shown). Messages with values use named placeholders, ``_("{value} is outside {range}")``, so a
translator can move them. Knowledge labels live in the data files and are translated there.
"""

from __future__ import annotations

import gettext
from pathlib import Path

_catalogue = gettext.translation(
    "weizhong", localedir=Path(__file__).resolve().parent / "locale", fallback=True
)
_ = _catalogue.gettext
ngettext = _catalogue.ngettext
