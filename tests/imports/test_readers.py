"""Reading real exports: the third-party samples in tests/data/thirdparty and synthetic files.

Counts and values in the real samples were taken by hand from the files (grep, awk, a text
editor): the comments say how. Synthetic files are written byte by byte in each test.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from partnerprogram.imports.readers import ROW_ERROR, SAMPLE_BYTES, ReadError, table_open
from partnerprogram.imports.values import ColumnFormats, country_normalize, decimal_parse

DATA = Path(__file__).resolve().parent.parent / "data" / "thirdparty"
SALESFORCE = DATA / "salesforce"


def _all(path: Path, **kwargs: object) -> list[tuple[int, dict[str, str | None]]]:
    with table_open(path=path, **kwargs) as table:  # type: ignore[arg-type]
        return list(table.rows())


# --------------------------------------------------------------------- Salesforce small fixtures


def test_salesforce_separator_fixture() -> None:
    # "column2!some" is one header name: "!" is not a delimiter
    with table_open(path=SALESFORCE / "csvSeparator.csv") as table:
        assert table.delimiter == ","
        assert table.encoding == "utf-8"
        assert table.columns == ["column1", "column2!some", "column3"]
        assert list(table.rows()) == [
            (2, {"column1": "col11", "column2!some": "col12!somev1", "column3": "col13"}),
            (3, {"column1": "col21", "column2!some": "col22!somev2", "column3": "col23"}),
        ]


def test_salesforce_escaped_quotes_fixture() -> None:
    # line 2: """The Best"" Account" -> "The Best" Account (doubled quotes, RFC 4180)
    rows = _all(SALESFORCE / "csvEscapedQuotes.csv")
    assert rows == [
        (2, {"column1": '"The Best" Account', "column2": "bla"}),
        (3, {"column1": 'The "Best" Account', "column2": "bla"}),
    ]


def test_salesforce_bom_fixture() -> None:
    # the file starts EF BB BF then "column1": the mark is not part of the first name
    with table_open(path=SALESFORCE / "csvtext_BOM_UTF8.csv") as table:
        assert table.encoding == "utf-8-sig"
        assert table.columns == ["column1", "column2", "column3"]
        assert "encoding: UTF-8 with byte-order mark" in table.notes
        rows = list(table.rows())
    assert rows[1] == (3, {"column1": "row2-1", "column2": "row2-2", "column3": "row2-3"})


# ------------------------------------------------------------------- Salesforce accountData.csv


def test_account_data_encoding_rows_read_as_windows_1252() -> None:
    # The file holds no valid UTF-8 accent at all; four lines hold Windows-1252 bytes
    # (found by decoding each line as UTF-8): 72 (0xBA "º" in "26 5º"), 87 (0xE9 "é" in
    # "Crédito"), 361 (0xBA in "Nº 77"), 375 (0xE9 twice in "Pébéo"). No quoted line break,
    # so line number = row number.
    with table_open(path=SALESFORCE / "accountData.csv") as table:
        assert table.encoding == "cp1252"  # guessed from the first 64 KiB (holds line 72)
        assert len(table.columns) == 38
        assert table.columns[:4] == ["ID", "ISDELETED", "MASTERRECORDID", "NAME"]
        rows = dict(table.rows())
        assert table.encoding == "cp1252"
        assert "read as Windows-1252 (not valid UTF-8) on rows 72, 87, 361, 375" in table.notes
        assert table.notes[0] == "encoding: Windows-1252"
        assert table.bytes_read() == table.size_bytes == 199712  # ls -l
    assert len(rows) == 423
    assert list(rows) == list(range(2, 425))
    assert rows[87]["NAME"] == "Crédito Inmobiliario Terras"
    assert rows[375]["NAME"] == "Pébéo of America"
    assert rows[72]["BILLINGSTREET"] == "00045844 c/ San Romualdo, 26 5º"
    assert rows[361]["BILLINGSTREET"] == "00052339 Paseo de la Castellana, Nº 77, Edif. Azu"
    assert rows[2]["NAME"] == "Gravity Investments"
    assert rows[2]["MASTERRECORDID"] is None  # "" is null
    assert all(ROW_ERROR not in row for row in rows.values())


def test_account_data_countries_and_revenue() -> None:
    rows = dict(_all(SALESFORCE / "accountData.csv"))
    # awk -F'","' '{print $11}' | sort | uniq -c: US 358, "United States" 5, USA 2 -> 365 US;
    # CA 18 + Canada 2 -> 20 CA; GB 12; JP 7; 3 blank
    codes = [country_normalize(r["BILLINGCOUNTRY"]) for r in rows.values() if r["BILLINGCOUNTRY"]]
    assert codes.count("US") == 365
    assert codes.count("CA") == 20
    assert codes.count("GB") == 12
    assert len(codes) == 420
    # grep -n: line 413 salesforce.com "6.0E7", line 415 Acme "8.48E10"; 421 rows blank
    formats = ColumnFormats()
    revenue = {
        number: formats.decimal("ANNUALREVENUE", row["ANNUALREVENUE"])
        for number, row in rows.items()
        if row["ANNUALREVENUE"] is not None
    }
    assert revenue == {413: Decimal("60000000"), 415: Decimal("84800000000")}
    assert formats.describe()["ANNUALREVENUE"] == (
        "numbers with decimal point, scientific notation"
    )
    # CREATEDDATE "2006-04-15T03:23:15.000Z" is 05:23 in Paris, the same day
    assert formats.date("CREATEDDATE", rows[2]["CREATEDDATE"] or "") == date(2006, 4, 15)


def test_opportunity_data() -> None:
    with table_open(path=SALESFORCE / "opportunityData.csv") as table:
        assert len(table.columns) == 31
        rows = list(table.rows())
    assert len(rows) == 38
    # "Acme - 1,200 Widgets" keeps its comma: it is inside quotes
    names = [row["NAME"] for _, row in rows]
    assert names.count("Acme - 1,200 Widgets") == 4
    # awk -F'","' '{print $7}': 5 empty AMOUNTs
    assert sum(row["AMOUNT"] is None for _, row in rows) == 5
    assert rows[0][1]["AMOUNT"] == "500000.0"
    assert decimal_parse(rows[0][1]["AMOUNT"] or "") == Decimal(500000)
    assert rows[0][1]["CLOSEDATE"] == "2005-11-09"


# ----------------------------------------------------------------------------------- FOCUS


def test_focus_sample() -> None:
    with table_open(path=DATA / "focus" / "focus_sample.csv") as table:
        assert table.encoding == "utf-8"
        assert len(table.columns) == 44
        rows = dict(table.rows())
    assert len(rows) == 1000
    # 8,973 cells are the literal NULL and 56 are "" (counted on the raw cells): all None
    assert sum(value is None for row in rows.values() for value in row.values()) == 8973 + 56
    first = rows[2]
    assert first["AvailabilityZone"] is None  # NULL
    assert first["BilledCost"] == "0.00000080000"
    cost = decimal_parse(first["BilledCost"] or "")
    assert cost == Decimal("8E-7")
    assert cost.as_tuple().exponent == -11  # the 11 decimals written
    # line 458: the AWS promotional credit, BilledCost -2.61370000000
    credit = rows[458]
    assert credit["ChargeCategory"] == "Credit"
    assert decimal_parse(credit["BilledCost"] or "") == Decimal("-2.6137")
    assert decimal_parse(credit["ContractedCost"] or "") == Decimal(-3)
    tagged = [row["Tags"] for row in rows.values() if row["Tags"]]
    assert tagged[0] == (
        '{"application": "BrightLensMatrix", "environment": "dev", "business_unit": "ViennaAI"}'
    )
    providers = [row["ProviderName"] for row in rows.values()]
    assert (providers.count("AWS"), providers.count("Microsoft"), providers.count("Oracle")) == (
        942,
        51,
        7,
    )
    assert rows[927]["BillingAccountName"] is None  # a blank account name


# ------------------------------------------------------------------------- AWS partner CRM


def test_aws_fields_csv_with_bom_and_multiline_cells() -> None:
    path = DATA / "aws-partner-crm" / "Opportunity-Fields.csv"
    with table_open(path=path) as table:
        assert table.encoding == "utf-8-sig"
        assert table.columns[0] == "Field Name - APN CRM JSON Name"  # no BOM in the name
        assert table.columns[-1] == "Outbound Payload"  # CRLF line end not in the name
        assert len(table.columns) == 17
        rows = list(table.rows())
        assert table.bytes_read() == table.size_bytes == 38655
    # 89 records (header + 88) over 178 lines: cells hold line breaks; rows are records
    assert len(rows) == 88
    assert rows[-1][0] == 89
    assert rows[-1][1]["Field Name - APN CRM JSON Name"] == "backwardsCompatibilityChanges"
    assert rows[0][1]["Field Name - APN CRM JSON Name"] == "doesOppBelongToNatSec"
    # record 88 names a field with a trailing space: cells are raw text, never stripped
    assert dict(rows)[88]["Field Name - APN CRM JSON Name"] == "cosellConvertReason "


# ------------------------------------------------------------------------- synthetic CSV


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("codec", "bom"),
    [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b"")],
)
def test_utf16(tmp_path: Path, codec: str, bom: bytes) -> None:
    text = "Société;Montant\r\nÉcole Polytechnique;1 234,50\r\nPébéo;12,00\r\n"
    path = _write(tmp_path, "deals.csv", bom + text.encode(codec))
    with table_open(path=path) as table:
        assert table.encoding == "utf-16"
        assert table.delimiter == ";"
        assert table.columns == ["Société", "Montant"]
        rows = list(table.rows())
        # 2 bytes per character (all in the BMP): the whole file is read
        assert table.bytes_read() == table.size_bytes == len(bom) + 2 * len(text)
    assert rows == [
        (2, {"Société": "École Polytechnique", "Montant": "1 234,50"}),
        (3, {"Société": "Pébéo", "Montant": "12,00"}),
    ]


def test_cp1252_semicolons_decimal_commas(tmp_path: Path) -> None:
    text = (
        "Partenaire;Montant;Signé le\nSociété Générale;1 234,50;31/01/2026\nCafé;0,5;01/02/2026\n"
    )
    path = _write(tmp_path, "export.csv", text.encode("cp1252"))
    formats = ColumnFormats()
    with table_open(path=path) as table:
        assert table.delimiter == ";"
        assert table.columns == ["Partenaire", "Montant", "Signé le"]  # row 1 was cp1252
        rows = list(table.rows())
        assert table.encoding == "cp1252"
        assert table.notes[-1] == "read as Windows-1252 (not valid UTF-8) on rows 1, 2, 3"
    amounts = [formats.decimal("Montant", row["Montant"] or "") for _, row in rows]
    signed = [formats.date("Signé le", row["Signé le"] or "") for _, row in rows]
    assert rows[0][1]["Partenaire"] == "Société Générale"
    assert amounts == [Decimal("1234.50"), Decimal("0.5")]
    assert signed == [date(2026, 1, 31), date(2026, 2, 1)]
    assert formats.describe() == {
        "Signé le": "dates read as dd/mm/yyyy",
        "Montant": "numbers with decimal comma, thousands separators",
    }


def test_mixed_utf8_and_cp1252_lines(tmp_path: Path) -> None:
    data = (
        b"name,city\n"
        + "Crédit Agricole,Paris\n".encode()  # UTF-8 accents
        + "Pébéo,Aubagne\n".encode("cp1252")  # Windows-1252 accents
        + b"Plain,Lyon\n"
    )
    with table_open(path=_write(tmp_path, "mixed.csv", data)) as table:
        assert table.encoding == "utf-8+cp1252"
        rows = list(table.rows())
        assert "read as Windows-1252 (not valid UTF-8) on rows 3" in table.notes
        assert table.notes[0].startswith("encoding: UTF-8 with some lines in Windows-1252")
    assert [row["name"] for _, row in rows] == ["Crédit Agricole", "Pébéo", "Plain"]


def test_windows_1252_after_the_sample(tmp_path: Path) -> None:
    # 5,000 rows of 20 bytes = 100,000 bytes of ASCII, beyond the 64 KiB sample, then a
    # Windows-1252 line: the opening guess is UTF-8, the final reading says Windows-1252
    body = b"".join(b"row%05d,aaaaaaaaaa\n" % n for n in range(5000))
    data = b"id,value\n" + body + "Pébéo,x\n".encode("cp1252")
    assert len(body) > SAMPLE_BYTES
    with table_open(path=_write(tmp_path, "late.csv", data)) as table:
        assert table.encoding == "utf-8"
        rows = list(table.rows())
        # the opening guess holds until the last line is read
        assert table.encoding == "cp1252"
        # header row 1 + 5,000 rows = rows 2..5001, the cp1252 line is row 5002
        assert rows[-1] == (5002, {"id": "Pébéo", "value": "x"})
        assert "read as Windows-1252 (not valid UTF-8) on rows 5002" in table.notes


def test_tab_delimited(tmp_path: Path) -> None:
    data = b"name\tamount\tnote\nAcme\t1,234.50\ta, b; c\nBeta\t2\t\n"
    with table_open(path=_write(tmp_path, "t.tsv", data)) as table:
        assert table.delimiter == "\t"
        assert list(table.rows()) == [
            (2, {"name": "Acme", "amount": "1,234.50", "note": "a, b; c"}),
            (3, {"name": "Beta", "amount": "2", "note": None}),
        ]


def test_delimiter_inside_quotes_does_not_fool_detection(tmp_path: Path) -> None:
    # semicolon file whose quoted cells are full of commas
    data = b'a;b\n"x, y, z, w";"1,5"\n"p, q, r, s";"2,5"\n'
    with table_open(path=_write(tmp_path, "q.csv", data)) as table:
        assert table.delimiter == ";"
        assert [row["b"] for _, row in table.rows()] == ["1,5", "2,5"]


def test_header_spaces_null_literals_and_blank_lines(tmp_path: Path) -> None:
    data = b'\xef\xbb\xbfId, Name ,Amount\r\n1,Acme,NULL\r\n\r\n2,"  ",null\r\n3,N/A,0\r\n'
    with table_open(path=_write(tmp_path, "n.csv", data)) as table:
        assert table.columns == ["Id", "Name", "Amount"]
        assert "header: removed spaces or byte-order marks around ' Name '" in table.notes
        rows = list(table.rows())
    # row 3 is the blank line: counted, not yielded
    assert rows == [
        (2, {"Id": "1", "Name": "Acme", "Amount": None}),
        (4, {"Id": "2", "Name": None, "Amount": None}),
        (5, {"Id": "3", "Name": "N/A", "Amount": "0"}),
    ]


def test_quoted_line_breaks_number_rows_as_records(tmp_path: Path) -> None:
    data = b'a,b\n"first\nsecond",1\nz,2\n'
    rows = _all(_write(tmp_path, "ml.csv", data))
    assert rows == [(2, {"a": "first\nsecond", "b": "1"}), (3, {"a": "z", "b": "2"})]


def test_ragged_rows_are_yielded_with_an_error(tmp_path: Path) -> None:
    data = b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12,,\n"
    rows = dict(_all(_write(tmp_path, "r.csv", data)))
    assert ROW_ERROR not in rows[2]
    assert rows[3] == {
        "a": "4",
        "b": "5",
        "c": None,
        ROW_ERROR: "the row has 2 cells but the header has 3 columns",
    }
    assert rows[4][ROW_ERROR] == "the row has 4 cells but the header has 3 columns"
    # trailing empty cells (a trailing delimiter) are not an error
    assert rows[5] == {"a": "10", "b": "11", "c": "12"}


def test_trailing_unnamed_header_columns_are_ignored(tmp_path: Path) -> None:
    with table_open(path=_write(tmp_path, "t.csv", b"a,b,\n1,2,\n")) as table:
        assert table.columns == ["a", "b"]
        assert "ignored 1 unnamed column(s) at the end of the header" in table.notes
        assert list(table.rows()) == [(2, {"a": "1", "b": "2"})]


@pytest.mark.parametrize(
    ("data", "row", "column", "reason_part"),
    [
        (b"", None, None, "the file is empty"),
        (b"\n\n", 1, None, "first row is blank"),
        (b"id,name,id\n1,a,2\n", 1, "id", "appears twice (columns 1 and 3)"),
        (b"id,,name\n1,2,3\n", 1, "#2", "no name"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), None, None, "legacy Excel .xls"),
        (b"a,b\n\x00\x01\x02\x03\x00\x00\x00\xff\xfe\x00\x00", None, None, "NUL bytes"),
    ],
)
def test_unreadable_files(
    tmp_path: Path, data: bytes, row: int | None, column: str | None, reason_part: str
) -> None:
    with pytest.raises(ReadError) as caught:
        table_open(path=_write(tmp_path, "bad.csv", data))
    error = caught.value
    assert (error.source, error.row, error.column) == ("bad.csv", row, column)
    assert reason_part in error.reason


def test_read_error_names_everything() -> None:
    error = ReadError("deals.csv", 1, "Amount", "the column name appears twice")
    assert str(error) == "deals.csv, row 1, column 'Amount': the column name appears twice"
    assert str(ReadError("deals.csv", None, None, "the file is empty")) == (
        "deals.csv: the file is empty"
    )


def test_unclosed_quote_is_a_read_error_not_a_memory_hog(tmp_path: Path) -> None:
    # an unclosed quote would swallow the file into one cell: the csv field limit
    # (131,072 characters) stops it at the row where it starts, named as an unterminated quote
    data = b'a,b\n1,"unclosed\n' + b"x" * 200_000 + b"\n"
    table = table_open(path=_write(tmp_path, "u.csv", data))
    with pytest.raises(ReadError) as caught:
        list(table.rows())
    table.close()
    assert caught.value.row == 2
    assert "unterminated quote starting at row 2" in caught.value.reason


def test_named_xlsx_that_is_not_a_zip(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="not an XLSX file"):
        table_open(path=_write(tmp_path, "book.xlsx", b"a,b\n1,2\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no such file"):
        table_open(path=tmp_path / "nope.csv")


# ------------------------------------------------------------------------- streams, progress


class _OneWayStream(io.RawIOBase):
    """A non-seekable upload (a pipe)."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def test_stream_input_and_second_pass() -> None:
    data = b"a;b\n1;2\n3;4\n"
    expected = [(2, {"a": "1", "b": "2"}), (3, {"a": "3", "b": "4"})]
    for stream in (io.BytesIO(data), _OneWayStream(data)):
        table = table_open(stream=stream, name="upload.csv")  # type: ignore[arg-type]
        assert table.source == "upload.csv"
        assert table.size_bytes == len(data)
        assert list(table.rows()) == expected
        assert list(table.rows()) == expected  # a second pass reads the file again
        table.close()


def test_table_open_needs_one_source() -> None:
    with pytest.raises(TypeError):
        table_open()


def test_large_file_streams_with_progress(tmp_path: Path) -> None:
    # 200,000 rows of 32 bytes = 6.4 MB: the first row comes before the file is read,
    # bytes_read grows, and ends at the file size
    row = b"ACC-0000001,Acme Europe,1234.50\n"
    assert len(row) == 32
    path = _write(tmp_path, "big.csv", b"id,name,amount\n" + row * 200_000)
    size = 15 + 32 * 200_000
    with table_open(path=path) as table:
        assert table.size_bytes == size
        rows = table.rows()
        first = next(rows)
        assert first[0] == 2
        assert table.bytes_read() < 128 * 1024  # a small read-ahead, not the whole file
        seen = [table.bytes_read()]
        count = 1
        for number, _ in rows:
            count += 1
            if number % 50_000 == 0:
                seen.append(table.bytes_read())
        assert count == 200_000
        assert seen == sorted(seen)
        assert table.bytes_read() == size
        assert table.progress() == 1.0


# ------------------------------------------------------------------------------------ XLSX


def _workbook(tmp_path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Deals"
    sheet.append(["Partner", " Signed", "Amount", "Rate", "Won", "Closed at", "Note"])
    sheet.append(["Acme", date(2025, 1, 1), 1234.5, 0.1, True, datetime(2025, 1, 2, 14, 30), None])
    sheet.append(["Beta", datetime(2025, 3, 31), 3, 1e-7, False, None, "NULL"])
    sheet.append([None, None, None, None, None, None, None])  # an empty row
    sheet.append(["Gamma", "31/01/2026", "1 234,50", None, None, time(9, 15)])
    sheet.append(["Ragged", None, None, None, None, None, None, "extra"])
    other = book.create_sheet("Notes")
    other.append(["Key", "Value"])
    other.append(["source", "crm"])
    path = tmp_path / "deals.xlsx"
    book.save(path)
    return path


def test_xlsx_cells_as_text(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    with table_open(path=path) as table:
        assert table.encoding == "xlsx"
        assert table.delimiter is None
        assert table.columns == ["Partner", "Signed", "Amount", "Rate", "Won", "Closed at", "Note"]
        assert table.notes[0] == "sheet 'Deals'"
        assert "2 sheets (Deals, Notes); only this one is read" in table.notes
        rows = dict(table.rows())
        assert table.bytes_read() == 6  # rows read, header included
        assert table.progress() == 1.0
    assert rows[2] == {
        "Partner": "Acme",
        "Signed": "2025-01-01",  # a date at midnight: ISO date
        "Amount": "1234.5",  # the float 1234.5 without noise
        "Rate": "0.1",  # not 0.1000000000000000055511151231257827
        "Won": "true",
        "Closed at": "2025-01-02 14:30:00",
        "Note": None,
    }
    assert rows[3]["Signed"] == "2025-03-31"
    assert rows[3]["Amount"] == "3"  # an integer stays an integer
    assert rows[3]["Rate"] == "0.0000001"
    assert rows[3]["Won"] == "false"
    assert rows[3]["Note"] is None  # the text NULL
    assert 4 not in rows  # the empty row
    assert rows[5]["Signed"] == "31/01/2026"  # a text cell stays as typed
    assert rows[5]["Closed at"] == "09:15:00"
    assert rows[6][ROW_ERROR] == "the row has 8 cells but the header has 7 columns"
    formats = ColumnFormats()
    assert formats.date("Signed", rows[2]["Signed"] or "") == date(2025, 1, 1)
    assert formats.decimal("Amount", rows[5]["Amount"] or "") == Decimal("1234.50")


def test_xlsx_other_sheet_and_stream(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    with table_open(stream=io.BytesIO(path.read_bytes()), name="deals.xlsx", sheet="Notes") as t:
        assert t.columns == ["Key", "Value"]
        assert list(t.rows()) == [(2, {"Key": "source", "Value": "crm"})]
        assert list(t.rows()) == [(2, {"Key": "source", "Value": "crm"})]


def test_xlsx_unknown_sheet(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match=r"no sheet named 'Data' \(sheets: Deals, Notes\)"):
        table_open(path=_workbook(tmp_path), sheet="Data")


def test_xlsx_header_below_empty_rows_and_empty_sheet(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A3"] = "id"
    sheet["B3"] = "amount"
    sheet["A4"] = 1
    sheet["B4"] = 2.5
    book.create_sheet("Empty")
    path = tmp_path / "low.xlsx"
    book.save(path)
    with table_open(path=path) as table:
        assert table.columns == ["id", "amount"]
        assert "header on row 3 (rows above it are empty)" in table.notes
        assert list(table.rows()) == [(4, {"id": "1", "amount": "2.5"})]
    with pytest.raises(ReadError, match="sheet 'Empty' is empty"):
        table_open(path=path, sheet="Empty")


def test_xlsx_duplicate_header(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "Amount", "Amount"])
    path = tmp_path / "dup.xlsx"
    book.save(path)
    with pytest.raises(ReadError) as caught:
        table_open(path=path)
    assert (caught.value.row, caught.value.column) == (1, "Amount")


def test_classic_mac_line_ends(tmp_path: Path) -> None:
    # lone "\r" ends lines (Excel "CSV (Macintosh)"); a quoted "\r" stays in its cell
    data = b'a;b\r1;"x\ry"\r3;4'
    with table_open(path=_write(tmp_path, "mac.csv", data)) as table:
        assert table.delimiter == ";"
        assert list(table.rows()) == [(2, {"a": "1", "b": "x\ry"}), (3, {"a": "3", "b": "4"})]
        assert "lines end with a lone carriage return (classic Mac OS)" in table.notes
        assert table.bytes_read() == len(data)


def test_django_upload_stream() -> None:
    # the console's upload: a Django UploadedFile, read through readline (its own iteration
    # would also split on a quoted "\r")
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("deals.csv", b'id,note\r\n1,"a\rb"\r\n2,c\r\n')
    with table_open(stream=upload, name=upload.name or "") as table:  # type: ignore[arg-type]
        assert list(table.rows()) == [
            (2, {"id": "1", "note": "a\rb"}),
            (3, {"id": "2", "note": "c"}),
        ]
