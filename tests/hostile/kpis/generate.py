"""Hostile KPI files: each one breaks a limit of the reader or the checker (docs/kpi-files.md).

    python tests/hostile/kpis/generate.py        # rewrites every file in this folder

Deterministic: the same bytes every run (fixed zip timestamps, seeded random bytes), each file
under 200 KB. ``CASES`` maps each file to the problem its refusal must report, or to ``None``
for the edge cases that are accepted; tests/integration/kpis/test_hostile_files.py ingests
them all. The files name the contract ``HOSTILE-001`` (from 2026-01-01, open-ended).
"""

from __future__ import annotations

import random
import struct
import sys
import zipfile
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
HEADER = "contract,period,date,kpi,value,numerator,denominator,channel,site\n"
ROW = "HOSTILE-001,2026-03,,contacts_voice,{value},,,{channel},{site}\n"
STAMP = (2026, 3, 1, 0, 0, 0)

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
SHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
STRINGS_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
COLUMNS = ["contract", "period", "date", "kpi", "value", "numerator", "denominator", "channel", "site"]


def _letters(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell(column: int, row: int, text: str) -> str:
    return f'<c r="{_letters(column)}{row}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def rows_xml(rows: list[list[str]]) -> str:
    return "".join(
        f'<row r="{r}">' + "".join(cell(c, r, text) for c, text in enumerate(values, 1) if text) + "</row>"
        for r, values in enumerate(rows, 1)
    )


def sheet(body: str, dimension: str | None = None, prolog: str = "") -> str:
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet {NS}>{declared}'
        f"<sheetData>{body}</sheetData></worksheet>"
    )


GOOD_ROWS = [COLUMNS, ["HOSTILE-001", "2026-03", "", "contacts_voice", "10", "", "", "voice", "leeds"]]


def workbook(
    sheet_xml: str,
    *,
    sheets: int = 1,
    shared: list[str] | None = None,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """A minimal .xlsx: ``sheet_xml`` as the first sheet, ``sheets - 1`` empty ones after it."""
    names = "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, sheets + 1))
    book = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} {REL_NS}><sheets>{names}</sheets></workbook>'
    )
    relations = "".join(
        f'<Relationship Id="rId{i}" Type="{SHEET_TYPE}" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, sheets + 1)
    )
    members = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": book,
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    for i in range(2, sheets + 1):
        members[f"xl/worksheets/sheet{i}.xml"] = sheet("")
    if shared is not None:
        relations += f'<Relationship Id="rIdS" Type="{STRINGS_TYPE}" Target="sharedStrings.xml"/>'
        items = "".join(f"<si><t>{escape(text)}</t></si>" for text in shared)
        members["xl/sharedStrings.xml"] = f'<?xml version="1.0" encoding="UTF-8"?><sst {NS}>{items}</sst>'
    members["xl/_rels/workbook.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{relations}'
        "</Relationships>"
    )
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in {**members, **(extra or {})}.items():
            info = zipfile.ZipInfo(name, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode() if isinstance(text, str) else text, compresslevel=9)
    return buffer.getvalue()


def declared_size(content: bytes, member: str, size: int) -> bytes:
    """``content`` with the central directory claiming ``member`` inflates to ``size`` bytes
    (the local header keeps the truth): a reader must trust neither before checking."""
    data, at = bytearray(content), 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_length].decode() == member:
            struct.pack_into("<I", data, at + 24, size)
            break
        at += 4
    return bytes(data)


def csv(*lines: str, header: str = HEADER) -> bytes:
    return (header + "".join(lines)).encode()


def laughs() -> str:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">' for i in range(1, 10)
    )
    return f"<!DOCTYPE worksheet [{entities}]>"


def bomb_sheet() -> bytes:
    """40 MiB of spaces inside a valid sheet: about 40 KB deflated, a ratio near 1,000."""
    return (sheet(rows_xml(GOOD_ROWS)).replace("<sheetData>", "<sheetData>" + " " * (40 * 2**20))).encode()


def build() -> dict[str, bytes]:
    rng = random.Random(20260301)
    long_row = ROW.format(value="1", channel="voice", site="x" * 150_000)
    files = {
        # --- workbooks: the zip, the sheets, the XML -------------------------------------------
        "dimension-xfd1048576.xlsx": workbook(
            sheet(
                rows_xml(GOOD_ROWS) + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
                dimension="A1:XFD1048576",
            )
        ),
        "cell-beyond-last-column.xlsx": workbook(
            sheet(rows_xml(GOOD_ROWS) + '<row r="3"><c r="XFD3"><v>1</v></c></row>')
        ),
        "row-beyond-excel.xlsx": workbook(
            sheet(rows_xml(GOOD_ROWS) + '<row r="2000000"><c r="A2000000"><v>1</v></c></row>')
        ),
        "long-inline-cell.xlsx": workbook(
            sheet(
                rows_xml(
                    [COLUMNS, ["HOSTILE-001", "2026-03", "", "contacts_voice", "1", "", "", "v" * 5000, ""]]
                )
            )
        ),
        "long-shared-string.xlsx": workbook(sheet(rows_xml(GOOD_ROWS)), shared=["s" * 300_000]),
        "many-sheets.xlsx": workbook(sheet(rows_xml(GOOD_ROWS)), sheets=17),
        "many-parts.xlsx": workbook(
            sheet(rows_xml(GOOD_ROWS)), extra={f"xl/media/image{i}.bin": b"x" for i in range(70)}
        ),
        "zip-bomb-ratio.xlsx": workbook(bomb_sheet().decode()),
        "zip-declares-2-gib.xlsx": declared_size(
            workbook(sheet(rows_xml(GOOD_ROWS))), "xl/worksheets/sheet1.xml", 2**31
        ),
        "deeply-nested.xlsx": workbook(
            sheet(rows_xml(GOOD_ROWS)).replace("</sheetData>", "<x>" * 200 + "</x>" * 200 + "</sheetData>")
        ),
        "billion-laughs.xlsx": workbook(
            sheet(rows_xml(GOOD_ROWS).replace("<t>leeds</t>", "<t>&lol9;</t>"), prolog=laughs())
        ),
        "external-entity.xlsx": workbook(
            sheet(
                rows_xml(GOOD_ROWS).replace("<t>leeds</t>", "<t>&xxe;</t>"),
                prolog='<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
            )
        ),
        "not-a-zip.xlsx": csv(ROW.format(value="1", channel="", site="")),
        "truncated-zip.xlsx": workbook(sheet(rows_xml(GOOD_ROWS)))[:300],
        "missing-shared-string.xlsx": workbook(
            sheet(rows_xml(GOOD_ROWS).replace("</row>", '<c r="I9" t="s"><v>7</v></c></row>', 1)),
            shared=["a"],
        ),
        "duplicate-headers.xlsx": workbook(sheet(rows_xml([[*COLUMNS[:4], "kpi", "value"]]))),
        "long-site.xlsx": workbook(
            sheet(
                rows_xml(
                    [
                        COLUMNS,
                        ["HOSTILE-001", "2026-03", "", "contacts_voice", "1", "", "", "voice", "s" * 41],
                    ]
                )
            )
        ),
        "header-only.xlsx": workbook(sheet(rows_xml([COLUMNS]))),
        # --- CSV: bytes and shape --------------------------------------------------------------
        "empty.csv": b"",
        "binary-garbage.csv": bytes(rng.getrandbits(8) for _ in range(4096)),
        "nul-byte.csv": csv(ROW.format(value="1", channel="voi\x00ce", site="")),
        "utf-16.csv": csv(ROW.format(value="1", channel="", site="")).decode().encode("utf-16"),
        "mixed-encodings.csv": csv(ROW.format(value="1", channel="", site="Zürich"))
        + "Köln\n".encode("latin-1"),
        "long-single-line.csv": csv(long_row),
        "many-columns.csv": (
            ",".join(f"c{i}" for i in range(1000)) + "\n" + ",".join("1" * 1000) + "\n"
        ).encode(),
        "header-only.csv": csv(),
        "duplicate-headers.csv": csv(header="contract,period,kpi,kpi,value\n")
        + b"HOSTILE-001,2026-03,contacts_voice,contacts_voice,1\n",
        # --- numbers ---------------------------------------------------------------------------
        "forty-digit-value.csv": csv(ROW.format(value="1" * 40, channel="", site="")),
        "seven-decimals.csv": csv(ROW.format(value="0.1234567", channel="", site="")),
        "exponent-1e400.csv": csv(ROW.format(value="1e400", channel="", site="")),
        "nan.csv": csv(ROW.format(value="NaN", channel="", site="")),
        "infinity.csv": csv(ROW.format(value="-Infinity", channel="", site="")),
        "huge-ratio.csv": csv("HOSTILE-001,2026-03,,asa_seconds,,999999999999999,0.000001,,\n"),
        "negative-zero.csv": csv(
            ROW.format(value="-0", channel="", site="a"), ROW.format(value="-0.000", channel="", site="b")
        ),
        # --- text ------------------------------------------------------------------------------
        "long-channel.csv": csv(ROW.format(value="1", channel="c" * 41, site="")),
        "long-contract.csv": csv("H" * 51 + ",2026-03,,contacts_voice,1,,,,\n"),
        "control-characters.csv": csv(ROW.format(value="1", channel="voice", site="lee\x07ds")),
        "bom-utf8.csv": b"\xef\xbb\xbf" + csv(ROW.format(value="1", channel="", site="")),
    }
    return files


# Each file and the problem (a substring of one reported problem) its refusal must give;
# None: the file is accepted.
CASES: dict[str, str | None] = {
    "dimension-xfd1048576.xlsx": "the sheet declares the range A1:XFD1048576; the limit is 32 columns",
    "cell-beyond-last-column.xlsx": "cell XFD3 is beyond column AF",
    "row-beyond-excel.xlsx": "the sheet has a row 2,000,000; the limit is 1,048,576",
    "long-inline-cell.xlsx": "row 2, column H: the cell has more than 1,000 characters",
    "long-shared-string.xlsx": "shared string 1 has more than 1,000 characters",
    "many-sheets.xlsx": "the workbook has 17 sheets; the limit is 16",
    "many-parts.xlsx": "the workbook's zip has 75 parts; the limit is 64",
    "zip-bomb-ratio.xlsx": "(a zip bomb?); the limit is 100 times",
    "zip-declares-2-gib.xlsx": "inflates to 2,147,483,648 bytes; the limit is 1,073,741,824",
    "deeply-nested.xlsx": "nested deeper than 32 elements",
    "billion-laughs.xlsx": "declares a document type (DTD)",
    "external-entity.xlsx": "declares a document type (DTD)",
    "not-a-zip.xlsx": "not a real Excel workbook (.xlsx); was a CSV file renamed?",
    "truncated-zip.xlsx": "not a readable Excel workbook",
    "missing-shared-string.xlsx": "refers to a shared string the workbook does not have",
    "duplicate-headers.xlsx": "kpi: the column appears more than once",
    "long-site.xlsx": "row 2, site: is 41 characters long; the limit is 40",
    "header-only.xlsx": "the file has a header but no rows",
    "empty.csv": "the file is empty",
    "binary-garbage.csv": "the file is not UTF-8 text",
    "nul-byte.csv": "the file holds a NUL byte (byte 109)",
    "utf-16.csv": "the file is UTF-16 text; save it as CSV UTF-8",
    "mixed-encodings.csv": "the file is not UTF-8 text (byte 116)",
    "long-single-line.csv": "line 2 is longer than 65,536 bytes",
    "many-columns.csv": "the header has 1,000 columns; the limit is 32",
    "header-only.csv": "the file has a header but no rows",
    "duplicate-headers.csv": "kpi: the column appears more than once",
    "forty-digit-value.csv": "row 2, value: has more than 15 digits before the decimal point",
    "seven-decimals.csv": "row 2, value: has more than 15 digits before the decimal point or more than 6 after it",
    "exponent-1e400.csv": "row 2, value: '1e400' is in exponent notation",
    "nan.csv": "row 2, value: not a number: 'NaN'",
    "infinity.csv": "row 2, value: not a number: '-Infinity'",
    "huge-ratio.csv": "row 2, numerator: numerator 999999999999999 / denominator 0.000001 is above",
    "negative-zero.csv": None,
    "long-channel.csv": "row 2, channel: is 41 characters long; the limit is 40",
    "long-contract.csv": "row 2, contract: is 51 characters long; the limit is 50",
    "control-characters.csv": "row 2, site: holds a control character (U+0007)",
    "bom-utf8.csv": None,
}


def main() -> None:
    files = build()
    assert set(files) == set(CASES), set(files) ^ set(CASES)
    for name, content in files.items():
        assert len(content) < 200_000, (name, len(content))
        (HERE / name).write_bytes(content)
    print(f"{len(files)} files written to {HERE}", file=sys.stderr)


if __name__ == "__main__":
    main()
