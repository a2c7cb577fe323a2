"""The statement of expenses and the CERFA financial report read from a POST: every problem on
its line, every value kept as typed."""

import datetime

from pepiniere.payments import statements

START, END = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)


def _rows(prefix, columns, *rows):
    post = {f"{prefix}-{i}-{k}": v for i, row in enumerate(rows) for k, v in row.items()}
    return statements.read_rows(post, prefix, columns)


def test_a_line_typed_twice_in_the_same_statement_is_named():
    line = {
        "category": "Matériel",
        "supplier": "Bureau Vallée",
        "invoice_reference": "F-1",
        "invoice_date": "15/03/2026",
        "amount_excl_vat": "100",
        "amount_incl_vat": "120",
    }
    rows = _rows("e", statements.EXPENSE_COLUMNS, line, {**line, "invoice_reference": "f 1"})
    assert (
        statements.validate_expenses(rows, period_start=START, period_end=END, claimed=set()) == []
    )
    assert rows[1].cell("invoice_reference").errors == ["Cette facture figure déjà à la ligne 1."]
    assert rows[1].cell("invoice_reference").value == "f 1"
    assert not rows[0].has_errors


def test_blank_rows_are_dropped_and_missing_cells_asked_for():
    rows = _rows(
        "e",
        statements.EXPENSE_COLUMNS,
        {"category": "", "supplier": ""},
        {"category": "Matériel", "supplier": "X"},
    )
    assert len(rows) == 1
    statements.validate_expenses(rows, period_start=START, period_end=END, claimed=set())
    assert rows[0].cell("invoice_date").errors == ["À renseigner."]


def test_a_significant_gap_in_the_financial_report_must_be_explained():
    rows = _rows(
        "r",
        statements.REPORT_COLUMNS,
        {"heading": "Salaires", "planned": "10 000", "spent": "10 500"},
        {"heading": "Communication", "planned": "2 000", "spent": "3 000"},
        {"heading": "Matériel", "planned": "1 000", "spent": "400", "comment": "Don d'ordinateurs"},
    )
    assert statements.validate_report(rows) == []
    assert not rows[0].has_errors  # 5 %: no comment needed
    assert "expliquez-le" in rows[1].cell("comment").errors[0]
    assert not rows[2].has_errors
