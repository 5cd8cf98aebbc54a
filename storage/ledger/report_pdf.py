"""``report.pdf``: the printable case summary (fpdf2), same content as the HTML.

Uses DejaVu Sans when the system has it (all scripts Telegram channels use);
otherwise the PDF core font, where characters outside Latin-1 print as ``?``
(the exact text is always in records.jsonl and records.csv). Tables get column
widths by their content (hashes and the legal basis wide, times narrow) and
wrap long cells, so nothing runs off the page.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode
from fpdf.fonts import FontFace

from storage.ledger.report import SECTIONS, VERIFY_STEPS, CaseSummary, cut_note

PDF_TIMELINE_LIMIT = 500
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype"),
              Path("/usr/share/fonts/TTF"), Path("/usr/local/share/fonts"))
#: Relative column widths; columns not named get 1.
_WIDTHS = {"at": 2.0, "authorization": 3.2, "watch": 2.4, "channel": 2.2, "sha256": 4.0,
           "pdq": 4.0, "events": 2.6, "states": 3.4, "channels": 1.6, "authority": 1.6,
           "document": 1.4, "valid_from": 1.6, "valid_until": 1.6, "first": 1.6, "last": 1.6,
           "note": 2.4, "target": 1.4, "type": 1.2, "actor": 1.2}


def _find_font() -> tuple[Path, Path] | None:
    for d in _FONT_DIRS:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class _Pdf(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="L", format="A4")
        font = _find_font()
        if font is not None:
            self.add_font("DejaVu", "", str(font[0]))
            self.add_font("DejaVu", "B", str(font[1]))
            self.family_name = "DejaVu"
            self.unicode = True
        else:
            self.family_name = "Helvetica"
            self.unicode = False
        self.set_auto_page_break(auto=True, margin=12)

    def text_of(self, value: str) -> str:
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(self.family_name, size=7)
        self.cell(0, 5, f"page {self.page_no()}", align="R")


def _section(pdf: _Pdf, title: str, rows: list[dict[str, str]], columns: tuple[str, ...],
             empty: str) -> None:
    pdf.set_font(pdf.family_name, "B", 11)
    pdf.cell(0, 8, pdf.text_of(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family_name, size=7)
    if not rows:
        pdf.cell(0, 5, pdf.text_of(empty), new_x="LMARGIN", new_y="NEXT")
        return
    widths = tuple(_WIDTHS.get(c, 1.0) for c in columns)
    with pdf.table(headings_style=FontFace(emphasis="BOLD"), text_align="LEFT",
                   line_height=3.5, col_widths=widths, wrapmode=WrapMode.CHAR) as table:
        head = table.row()
        for col in columns:
            head.cell(col)
        for r in rows:
            row = table.row()
            for col in columns:
                row.cell(pdf.text_of(r.get(col, ""))[:400])


def render_pdf(s: CaseSummary) -> bytes:
    pdf = _Pdf()
    pdf.set_title(f"Evidence export, case {s.case}")
    pdf.set_creator("chanwatch")
    pdf.add_page()
    pdf.set_font(pdf.family_name, "B", 14)
    pdf.cell(0, 10, pdf.text_of(f"Evidence export: case {s.case}"), new_x="LMARGIN",
             new_y="NEXT")
    pdf.set_font(pdf.family_name, size=8)
    for key, value in s.meta.items():
        if value:
            pdf.multi_cell(0, 4.5, pdf.text_of(f"{key}: {value}"), new_x="LMARGIN",
                           new_y="NEXT", wrapmode=WrapMode.CHAR)
    counts = ", ".join(f"{k}: {v}" for k, v in s.counts.items())
    pdf.multi_cell(0, 4.5, pdf.text_of(f"{s.total} records ({counts})."), new_x="LMARGIN",
                   new_y="NEXT")
    for title, attr, columns, empty in SECTIONS:
        rows: list[dict[str, str]] = getattr(s, attr)
        note = cut_note(s, attr, len(rows))
        if len(rows) > PDF_TIMELINE_LIMIT:
            rows = rows[:PDF_TIMELINE_LIMIT]
            note = f"the first {PDF_TIMELINE_LIMIT}; all in records.csv"
        _section(pdf, f"{title} ({note})" if note else title, rows, columns, empty)
    pdf.set_font(pdf.family_name, "B", 11)
    pdf.cell(0, 8, "How to verify", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family_name, size=8)
    for n, step in enumerate(VERIFY_STEPS, 1):
        pdf.multi_cell(0, 4.5, pdf.text_of(f"{n}. {step}"), new_x="LMARGIN", new_y="NEXT")
    for label, value in (("Verifier key", s.verify_key), ("Command", s.verify_command)):
        pdf.multi_cell(0, 4.5, pdf.text_of(f"{label}: {value}"), new_x="LMARGIN",
                       new_y="NEXT", wrapmode=WrapMode.CHAR)
    return bytes(pdf.output())
