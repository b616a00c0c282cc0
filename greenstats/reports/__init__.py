"""PDF reports (issue 16): the Overview as a one-page executive brief and one project as its
partner's donor report, in English or Chinese, built from the very blocks the pages show
(`screens.overview.load`, `screens.projects.load`), never from numbers of their own.

`render` lays a page out with fpdf2 and an embedded Noto Sans CJK; charts are PNGs that
kaleido draws from the pages' own Plotly figures in the machine's Chromium (nothing is
downloaded at run time). `documents.brief` and `documents.project` return the PDF's bytes.
"""
