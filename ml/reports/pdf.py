"""The report's page layout: an A4 `Report` (title, headings, tables, images) drawn with fpdf2."""
from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

FONT = "DejaVu"
INK, MUTED, ACCENT = (30, 30, 30), (110, 110, 110), (58, 90, 160)


def _font_dir() -> Path:
    import matplotlib
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


class Report:
    """An A4 document: a title block, headings, paragraphs, key-value lists, tables and images."""

    def __init__(self, title: str, subtitle: str) -> None:
        from fpdf import FPDF
        self.pdf = FPDF(format="A4", unit="mm")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.set_margins(15, 15, 15)
        fonts = _font_dir()
        self.pdf.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
        self.pdf.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
        self.pdf.set_text_shaping(True)  # joined Arabic letters, right-to-left runs in their reading order
        self.pdf.set_title(title)
        self.pdf.set_creator("Digit Lab")
        self.title, self.subtitle = title, subtitle
        self.new_page()
        self.pdf.set_font(FONT, "B", 18)
        self.pdf.set_text_color(*INK)
        self.pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font(FONT, "", 10)
        self.pdf.set_text_color(*MUTED)
        self.pdf.multi_cell(0, 5, subtitle, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(3)

    @property
    def width(self) -> float:
        return self.pdf.epw

    def new_page(self) -> None:
        self.pdf.add_page()
        self.pdf.set_font(FONT, "", 8)
        self.pdf.set_text_color(*MUTED)
        self.pdf.set_y(6)
        self.pdf.cell(0, 4, f"Digit Lab · {self.title}", align="R")
        self.pdf.set_y(15)

    def heading(self, text: str) -> None:
        self.pdf.ln(2)
        self.pdf.set_font(FONT, "B", 13)
        self.pdf.set_text_color(*ACCENT)
        self.pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(*INK)

    def paragraph(self, text: str) -> None:
        self.pdf.set_font(FONT, "", 10)
        self.pdf.set_text_color(*INK)
        self.pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def facts(self, pairs: Sequence[tuple[str, object]]) -> None:
        """Label: value lines, labels in a fixed column."""
        for label, value in pairs:
            self.pdf.set_font(FONT, "B", 10)
            self.pdf.cell(56, 5.5, label)
            self.pdf.set_font(FONT, "", 10)
            self.pdf.multi_cell(0, 5.5, str(value), new_x="LMARGIN", new_y="NEXT")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float] | None = None) -> None:
        self.pdf.set_font(FONT, "", 9)
        with self.pdf.table(col_widths=tuple(widths) if widths else None, text_align="LEFT", line_height=5.5,
                            headings_style=_headings_style(), first_row_as_headings=True) as table:
            for row in [headers, *rows]:
                line = table.row()
                for value in row:
                    line.cell(str(value))
        self.pdf.ln(2)

    def image(self, png: bytes, width: float | None = None) -> None:
        w = width or self.width
        x = self.pdf.l_margin + (self.width - w) / 2
        self.pdf.image(io.BytesIO(png), x=x, w=w)
        self.pdf.ln(2)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _headings_style():
    from fpdf.fonts import FontFace
    return FontFace(family=FONT, emphasis="BOLD", color=(255, 255, 255), fill_color=ACCENT)


def share(value: float | None) -> str:
    """A share in the app's one format (98.61%)."""
    return "—" if value is None or value != value else f"{100 * float(value):.2f}%"
