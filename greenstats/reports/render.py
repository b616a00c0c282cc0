"""Drawing a report: the fonts (Noto Sans CJK, so Chinese never shows as boxes), chart images
from Plotly figures (kaleido in the machine's Chromium), and an A4 page of headline cards,
charts, bars, tables and a footer, with fpdf2."""

from __future__ import annotations

import asyncio
import os
import shutil
import struct
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from typing import TypeVar

import pandas as pd
import plotly
import plotly.graph_objects as go
from fpdf import FPDF
from fpdf.enums import XPos, YPos

#: Where Debian's fonts-noto-cjk puts the fonts; GREENSTATS_CJK_FONT_DIR overrides the folder.
FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FONT_FILES = {"": "NotoSansCJK-Regular.ttc", "B": "NotoSansCJK-Bold.ttc"}
#: The .ttc holds JP, KR, SC, TC, HK in this order: Simplified Chinese is the third.
SC_INDEX = 2
#: A Latin font for the few signs Noto Sans CJK lacks (the ₂ of CO₂e); Debian's
#: fonts-dejavu-core, used when present.
FALLBACK = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
#: The Chromium kaleido drives when BROWSER_PATH is not set.
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")

#: The plotly.js the plotly package ships (the version the pages draw with).
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

INK, GREY, LINE, GREEN = (33, 37, 41), (108, 117, 125), (222, 226, 230), (0, 158, 115)
T = TypeVar("T")


class ReportError(Exception):
    """A report cannot be made (missing font, no Chromium, unknown project): one sentence."""


def font_paths() -> dict[str, Path]:
    folder = Path(os.environ.get("GREENSTATS_CJK_FONT_DIR") or FONT_DIR)
    paths = {style: folder / name for style, name in FONT_FILES.items()}
    for path in paths.values():
        if not path.is_file():
            raise ReportError(
                f"The font {path} is missing: install the Debian package fonts-noto-cjk "
                "(apt-get install fonts-noto-cjk) to make PDF reports."
            )
    return paths


def unavailable() -> str | None:
    """Why no report can be made on this machine (a missing font or Chromium), or None: the
    pages say so beside a disabled button instead of offering a download that fails."""
    try:
        font_paths()
        browser()
    except ReportError as exc:
        return str(exc)
    return None


def browser() -> str:
    """The Chromium that draws chart images: BROWSER_PATH, else the system's."""
    found = os.environ.get("BROWSER_PATH") or next(
        (p for p in CHROMIUM if os.access(p, os.X_OK)), None
    ) or shutil.which("chromium")  # fmt: skip
    if not found:
        raise ReportError(
            "No Chromium to draw the report's charts: install the Debian package chromium "
            "(apt-get install chromium) or set BROWSER_PATH to a Chrome or Chromium."
        )
    return found


def png(figures: Sequence[go.Figure], heights_mm: Sequence[float], width_mm: float = 182,
        width: int = 1000) -> list[bytes]:  # fmt: skip
    """Each figure as a PNG `width` px wide (2× for print) shaped to fill `width_mm` ×
    its height in mm on the page, drawn by kaleido in the machine's Chromium, one browser for
    all. kaleido uses the plotly.js that the plotly package ships and no MathJax, so nothing is
    fetched."""
    if not figures:
        return []
    import kaleido

    os.environ["BROWSER_PATH"] = browser()  # choreographer reads it
    specs = []
    for figure, height_mm in zip(figures, heights_mm, strict=True):
        fig = go.Figure(figure)
        fig.update_layout(
            paper_bgcolor="white", font={"family": "Noto Sans CJK SC, Noto Sans, sans-serif"},
            margin={"t": 20, "b": 40, "l": 60, "r": 20}, height=None, width=None,
        )  # fmt: skip
        height = round(width * height_mm / width_mm)
        specs.append({"fig": fig, "opts": {"format": "png", "width": width, "height": height,
                                           "scale": 2}})  # fmt: skip

    async def draw() -> list[bytes]:
        # plotly.js from the plotly package named outright: kaleido would otherwise fall back
        # to its CDN when it cannot find it; no MathJax (its default is a CDN too).
        async with kaleido.Kaleido(n=1, mathjax=False, plotlyjs=PLOTLY_JS) as k:
            return [await k.calc_fig(s["fig"], opts=s["opts"]) for s in specs]

    return _run(draw)


def _run(coroutine: Callable[[], Awaitable[T]]) -> T:
    """asyncio.run(coroutine()), or in a thread of its own when this thread already runs an
    event loop (a caller inside async code, e.g. Playwright's sync API in the same process),
    where asyncio.run refuses."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine())).result()


class Page(FPDF):
    """An A4 report: a title, lines of text, cards, images, bars, tables; a footer on each
    page."""

    def __init__(self, footer: str, page_words: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer
        self.page_words = page_words  # 'Page {page} of {pages}' with {nb} for the total
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(True, margin=18)
        fonts = font_paths()
        for style, path in fonts.items():
            self.add_font("cjk", style, str(path), collection_font_number=SC_INDEX)
        if FALLBACK.is_file():
            self.add_font("latin", "", str(FALLBACK))
            self.set_fallback_fonts(["latin"], exact_match=False)
        self.set_font("cjk", size=10)
        self.set_text_color(*INK)
        self.add_page()

    @property
    def width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("cjk", size=7)
        self.set_text_color(*GREY)
        self.multi_cell(self.width - 25, 3.5, self.footer_text, new_x=XPos.RIGHT,
                        new_y=YPos.TOP)  # fmt: skip
        self.cell(25, 3.5, self.page_words.format(page=self.page_no(), pages="{nb}"),
                  align="R")  # fmt: skip
        self.set_text_color(*INK)

    def title_block(self, title: str, lines: Sequence[str]) -> None:
        self.set_font("cjk", "B", 18)
        self.multi_cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=9)
        self.set_text_color(*GREY)
        for line in lines:
            if line:
                self.multi_cell(0, 4.5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        self.set_draw_color(*GREEN)
        self.set_line_width(0.6)
        self.line(self.l_margin, self.get_y() + 1.5, self.w - self.r_margin, self.get_y() + 1.5)
        self.ln(4)

    def heading(self, text: str, room: float = 30) -> None:
        """A section's title, on a new page when less than `room` mm is left under it."""
        if self.get_y() + room > self.h - 18:
            self.add_page()
        self.ln(1.5)
        self.set_font("cjk", "B", 11.5)
        self.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=9)

    def para(self, value: str, size: float = 9, grey: bool = False) -> None:
        self.set_font("cjk", size=size)
        if grey:
            self.set_text_color(*GREY)
        self.multi_cell(0, size * 0.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)

    def notice(self, value: str, tint: tuple[int, int, int] = (255, 243, 205),
               size: float = 9.5) -> None:  # fmt: skip
        """A sentence in a tinted box: what is missing and why, or an alert."""
        self.set_fill_color(*tint)
        self.set_font("cjk", size=size)
        self.multi_cell(0, size * 0.55, value, fill=True, padding=(1.2, 3), new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)  # fmt: skip
        self.set_fill_color(255, 255, 255)  # tables fill their cells with the current colour
        self.ln(1)

    def attention(self, title: str, items: Sequence[tuple[str, str]], empty: str) -> None:
        """The "Needs attention" block: each (severity, sentence) in red (critical) or amber
        (warning), or the sentence that says nothing needs attention, in green."""
        self.heading(title)
        if not items:
            self.notice(empty, (220, 242, 230), 8.5)
        for severity, text in items:
            self.notice(text, (248, 215, 218) if severity == "critical" else (255, 243, 205), 8.5)

    def cards(self, cards: Sequence[tuple[str, str, str, str]], per_row: int = 4) -> None:
        """Headline cards: (label, value, change, note), `per_row` to a row."""
        gap = 3
        w = (self.width - gap * (per_row - 1)) / per_row
        h = 24
        for start in range(0, len(cards), per_row):
            if self.get_y() + h > self.h - 20:
                self.add_page()
            y = self.get_y()
            for i, (label, value, change, note) in enumerate(cards[start : start + per_row]):
                x = self.l_margin + i * (w + gap)
                self.set_draw_color(*LINE)
                self.set_line_width(0.3)
                self.rect(x, y, w, h, round_corners=True, corner_radius=1.5)
                self.set_xy(x + 2.5, y + 2)
                self.set_font("cjk", size=7.5)
                self.set_text_color(*GREY)
                self.cell(w - 5, 4, label)
                self.set_xy(x + 2.5, y + 6.5)
                self.set_font("cjk", "B", 13 if len(value) < 16 else 10.5)
                self.set_text_color(*INK)
                self.cell(w - 5, 7, value)
                self.set_xy(x + 2.5, y + 13.5)
                self.set_font("cjk", size=7)
                if change:
                    self.set_text_color(*GREEN if not change.startswith(("-", "−")) else
                                        (200, 60, 40))  # fmt: skip
                    self.cell(w - 5, 3.6, change)
                    self.set_xy(x + 2.5, y + 17.2)
                self.set_text_color(*GREY)
                self.multi_cell(w - 5, 3.2, note, align="L")
                self.set_text_color(*INK)
            self.set_xy(self.l_margin, y + h + gap)

    def image_png(self, data: bytes, height_mm: float) -> None:
        """A PNG across the page at its own aspect, at most `height_mm` high (then narrower,
        centred)."""
        w_px, h_px = struct.unpack(">II", data[16:24])  # the PNG's IHDR
        w = self.width
        h = w * h_px / w_px
        if h > height_mm:
            w, h = height_mm * w_px / h_px, height_mm
        if self.get_y() + h > self.h - 20:
            self.add_page()
        self.image(BytesIO(data), x=self.l_margin + (self.width - w) / 2, w=w, h=h)
        self.ln(1)

    def bar(self, share: float, label: str) -> None:
        """A progress bar with its sentence above."""
        self.para(label, 8.5)
        y = self.get_y() + 0.5
        self.set_fill_color(*LINE)
        self.rect(self.l_margin, y, self.width, 2.2, style="F")
        self.set_fill_color(*GREEN)
        self.rect(self.l_margin, y, self.width * max(0.0, min(share, 1.0)), 2.2, style="F")
        self.set_y(y + 4.5)

    def grid(self, frame: pd.DataFrame, widths: Sequence[float] | None = None) -> None:
        self.set_font("cjk", size=7.5)
        self.set_draw_color(*LINE)
        with self.table(
            col_widths=tuple(widths) if widths else None, line_height=4.4,
            text_align="LEFT", borders_layout="HORIZONTAL_LINES",
            headings_style=_heading_style(), first_row_as_headings=True,
        ) as out:  # fmt: skip
            out.row([str(c) for c in frame.columns])
            for row in frame.itertuples(index=False):
                out.row([_cell(v) for v in row])
        self.ln(2)


def _heading_style():
    from fpdf.fonts import FontFace

    return FontFace(family="cjk", emphasis="BOLD", color=GREY)


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
