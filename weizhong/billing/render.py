"""A superbill as CSV (one row per line), as a one-page HTML document, and as PDF (WeasyPrint,
imported only when a PDF is asked for). Everything printed is escaped."""

from __future__ import annotations

import csv
import io
from html import escape
from typing import Literal

from weizhong.billing.model import Bill, Line
from weizhong.numbers import money, money_plain

__all__ = ["CSV_HEADER", "superbill_csv", "superbill_html", "superbill_pdf"]

CSV_HEADER = (
    "date",
    "patient",
    "birth_date",
    "provider_npi",
    "payer",
    "member_id",
    "cpt",
    "modifiers",
    "units",
    "minutes",
    "diagnosis_codes",
    "description",
    "unit_fee_usd",
    "charge_usd",
)
PAYER_LABELS = {
    "self_pay": "Self-pay",
    "commercial": "Commercial insurance",
    "medicare": "Medicare",
}
Paper = Literal["A4", "Letter"]


def _codes(line: Line, bill: Bill) -> list[str]:
    by_pointer = {row["pointer"]: row["code"] for row in bill["diagnoses"]}
    return [by_pointer[p] for p in line["diagnosis_pointers"] if p in by_pointer]


def _plain(cents: int | None) -> str:
    return "" if cents is None else money_plain(cents)


def superbill_csv(bill: Bill) -> str:
    """One row per line, after a header row; lists inside a cell are joined with ';'. The fee
    and charge are plain decimals in US dollars ("85.00"), empty when the code has no fee."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 line ends and quoting
    writer.writerow(CSV_HEADER)
    payer = bill["payer"]
    payer_name = payer["name"] or PAYER_LABELS.get(payer["kind"], payer["kind"])
    for line in bill["lines"]:
        writer.writerow(
            (
                bill["date"],
                bill["patient"]["name"],
                bill["patient"]["birth_date"],
                bill["provider"]["npi"],
                payer_name,
                payer["member_id"],
                line["cpt"],
                ";".join(line["modifiers"]),
                line["units"],
                line["minutes"],
                ";".join(_codes(line, bill)),
                line["description"],
                _plain(line.get("unit_fee")),
                _plain(line.get("charge")),
            )
        )
    return out.getvalue()


CSS = """
@page { size: %(paper)s; margin: 12mm 15mm 12mm 15mm;
        @bottom-right { content: "page " counter(page) " of " counter(pages); font-size: 7.5pt;
                        font-family: "DejaVu Sans", sans-serif; color: #666; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; color: #1d2330;
       line-height: 1.3; margin: 0; }
header { display: flex; justify-content: space-between; align-items: flex-start;
         border-bottom: 1.2pt solid #1f3a5f; padding-bottom: 2.5mm; margin-bottom: 3.5mm; }
header .clinic { font-size: 15pt; font-weight: bold; color: #1f3a5f; }
header .contact { color: #444; font-size: 8.5pt; }
header .title { text-align: right; }
header .title .doc { font-size: 13pt; font-weight: bold; letter-spacing: 0.5pt; }
.parties { display: flex; gap: 3mm; margin-bottom: 3.5mm; }
.party { flex: 1; border: 0.6pt solid #c3ccd8; border-radius: 1.5mm; padding: 2mm 2.5mm; }
.party h3 { margin: 0 0 1mm 0; font-size: 7.5pt; text-transform: uppercase; color: #5a6b80;
            letter-spacing: 0.4pt; }
.party .main { font-weight: bold; font-size: 10pt; }
.party div { overflow-wrap: anywhere; }
h2 { font-size: 10.5pt; color: #1f3a5f; margin: 3mm 0 1.5mm 0; }
table { width: 100%%; border-collapse: collapse; table-layout: fixed; }
th { text-align: left; font-size: 7.5pt; text-transform: uppercase; color: #5a6b80;
     border-bottom: 0.8pt solid #1f3a5f; padding: 1mm 1.5mm; }
td { border-bottom: 0.4pt solid #d7dde5; padding: 1.3mm 1.5mm; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.code { font-weight: bold; white-space: nowrap; }
.why { color: #5a6b80; font-size: 7.5pt; margin-top: 0.6mm; }
tr.total td { border-bottom: none; border-top: 0.8pt solid #1f3a5f; font-weight: bold; }
.warnings { border: 1pt solid #b26b00; background: #fff6e5; border-radius: 1.5mm;
            padding: 2mm 3mm; margin-top: 3mm; break-inside: avoid; }
.warnings h2 { color: #8a5300; margin-top: 0; }
.warnings ol { margin: 0; padding-left: 4.5mm; }
.warnings li { margin-bottom: 0.8mm; }
.empty { color: #5a6b80; font-style: italic; }
.sign { display: flex; gap: 10mm; margin-top: 7mm; break-inside: avoid; }
.sign div { flex: 1; border-top: 0.7pt solid #1d2330; padding-top: 1mm; font-size: 8pt;
            color: #444; }
.sign div.date { flex: 0 0 40mm; }
.footer { margin-top: 4mm; font-size: 7pt; color: #666; }
"""


def _party(title: str, main: str, rows: list[str]) -> str:
    body = "".join(f"<div>{escape(r)}</div>" for r in rows if r)
    return (
        f'<div class="party"><h3>{escape(title)}</h3>'
        f'<div class="main">{escape(main) or "—"}</div>{body}</div>'
    )


def superbill_html(bill: Bill, *, paper: Paper = "A4", reasons: bool = False) -> str:
    """A one-page superbill: clinic, provider, patient, payer, diagnoses with pointers, the
    service lines, warnings to check and a signature line, on A4 or Letter. With ``reasons``
    each line also shows how its units were counted (for the clinician's review; it may then run
    to a second page)."""
    provider, patient, payer = bill["provider"], bill["patient"], bill["payer"]
    clinic = provider["clinic_name"] or provider["name"]
    contact = " · ".join(p for p in (provider["address"], provider["phone"]) if p)
    parties = "".join(
        (
            _party(
                "Rendering provider",
                f"{provider['name']}, {provider['credentials']}".rstrip(", "),
                [
                    f"NPI {provider['npi']}",
                    f"Tax ID {provider['tax_id']}" if provider["tax_id"] else "",
                ],
            ),
            _party(
                "Patient",
                patient["name"],
                [
                    f"Born {patient['birth_date']}"
                    + (f" · {patient['sex']}" if patient["sex"] else ""),
                    patient["address"],
                ],
            ),
            _party(
                "Payer",
                PAYER_LABELS.get(payer["kind"], payer["kind"]),
                [payer["name"], f"Member ID {payer['member_id']}" if payer["member_id"] else ""],
            ),
        )
    )
    diagnoses = "".join(
        f'<tr><td class="code">{escape(row["pointer"])}</td><td class="code">'
        f"{escape(row['code'])}</td><td>{escape(row['description'])}</td></tr>"
        for row in bill["diagnoses"]
    )
    priced = any(line.get("unit_fee") is not None for line in bill["lines"])
    rows = []
    for line in bill["lines"]:
        why = f'<div class="why">{escape(line["why"])}</div>' if reasons else ""
        fee_cells = ""
        if priced:
            fee, charge = line.get("unit_fee"), line.get("charge")
            fee_cells = (
                f'<td class="num">{money(fee) if fee is not None else "—"}</td>'
                f'<td class="num">{money(charge) if charge is not None else "not set"}</td>'
            )
        rows.append(
            f'<tr><td class="code">{escape(line["cpt"])}</td>'
            f"<td>{escape(' '.join(line['modifiers']))}</td>"
            f"<td>{escape(line['description'])}{why}</td>"
            f"<td>{escape(', '.join(line['diagnosis_pointers']))}</td>"
            f'<td class="num">{line["units"]}</td>'
            f'<td class="num">{line["minutes"] or ""}</td>{fee_cells}</tr>'
        )
    if rows:
        total = bill.get("total_charge")
        total_cells = (
            f'<td></td><td class="num">{money(total) if total is not None else "—"}</td>'
            if priced
            else ""
        )
        rows.append(
            f'<tr class="total"><td colspan="4">{"Total" if priced else "Total units"}</td>'
            f'<td class="num">{bill["totals"]["units"]}</td><td></td>{total_cells}</tr>'
        )
        fee_columns = '<col style="width:19mm"><col style="width:21mm">' if priced else ""
        fee_heads = '<th class="num">Unit fee</th><th class="num">Charge</th>' if priced else ""
        services = (
            '<table><colgroup><col style="width:15mm"><col style="width:13mm"><col>'
            '<col style="width:17mm"><col style="width:12mm"><col style="width:11mm">'
            f"{fee_columns}</colgroup>"
            "<thead><tr><th>CPT</th><th>Mod.</th><th>Service</th><th>Dx</th>"
            f'<th class="num">Units</th><th class="num">Min.</th>{fee_heads}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    else:
        services = '<p class="empty">No billable service on this visit.</p>'
    fees_note = (
        "Charges are in US dollars, from this clinic's fee schedule."
        if priced
        else "No fees are shown: this clinic has not set its fees for these services."
    )
    warnings = ""
    if bill["warnings"]:
        items = "".join(f"<li>{escape(w['message'])}</li>" for w in bill["warnings"])
        warnings = (
            '<div class="warnings"><h2>To check before this is submitted</h2>'
            f"<ol>{items}</ol></div>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Superbill {escape(patient["name"])} {escape(bill["date"])}</title>
<style>{CSS % {"paper": paper}}</style></head>
<body>
<header>
  <div><div class="clinic">{escape(clinic)}</div><div class="contact">{escape(contact)}</div></div>
  <div class="title"><div class="doc">SUPERBILL</div>
  <div>Date of service {escape(bill["date"])}</div></div>
</header>
<div class="parties">{parties}</div>
<h2>Diagnoses (ICD-10-CM)</h2>
<table><colgroup><col style="width:15mm"><col style="width:22mm"><col></colgroup>
<thead><tr><th>Pointer</th><th>Code</th><th>Description</th></tr></thead><tbody>{diagnoses}</tbody></table>
<h2>Services (CPT)</h2>
{services}
{warnings}
<div class="sign"><div>Provider signature</div><div class="date">Date</div></div>
<p class="footer">{fees_note} CPT® is a registered trademark of the American Medical
Association; service descriptions here are short paraphrases.
Rules version {escape(bill["rules_version"])}.</p>
</body></html>
"""


def superbill_pdf(bill: Bill, *, paper: Paper = "A4", reasons: bool = False) -> bytes:
    """The HTML superbill as PDF bytes."""
    import weasyprint  # heavy: only when a PDF is asked for

    pdf: bytes = weasyprint.HTML(
        string=superbill_html(bill, paper=paper, reasons=reasons)
    ).write_pdf()
    return pdf
