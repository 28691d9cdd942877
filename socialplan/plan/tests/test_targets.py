from decimal import Decimal

from socialplan.plan.targets import split_indicator


def _pairs(text):
    return [(t.value, t.per, t.parsed) for t in split_indicator(text)]


def test_numbers_and_per_year():
    targets = split_indicator("5 trajnime te realizuara ne vit, 20 persona ne vit marrin pjese")
    assert [(t.value, t.per) for t in targets] == [(Decimal(5), "year"), (Decimal(20), "year")]
    assert targets[0].unit == "trajnime te realizuara"


def test_albanian_number_words_and_whole_period():
    assert _pairs("Një analizë e realizuar") == [(Decimal(1), "period", True)]


def test_text_without_number_is_not_measurable():
    targets = split_indicator("Databaza e krijuar dhe funksionale. Raportet periodike")
    assert [t.parsed for t in targets] == [False, False]
    assert targets[0].value is None


def test_percentages_and_thousands():
    targets = split_indicator("80% e mbulimit; 1,200 persona")
    assert [(t.value, t.unit) for t in targets] == [
        (Decimal(80), "% e mbulimit"),
        (Decimal(1200), "persona"),
    ]


def test_empty():
    assert split_indicator("") == []
