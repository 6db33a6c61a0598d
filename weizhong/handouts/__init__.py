"""Patient handouts: the home programme as a two-page PDF (HTML and CSS through WeasyPrint)."""
