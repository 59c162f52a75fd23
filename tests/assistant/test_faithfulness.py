from assistant.faithfulness import check


def test_supported_numbers_pass() -> None:
    ctx = "Returns are free within 30 days. Label from the UK costs €9.95."
    assert check("You have 30 days, and the UK label is €9.95.", ctx).supported


def test_invented_numbers_fail() -> None:
    v = check("The return label costs £5.98 and takes 14 days.", "Returns are free within 30 days.")
    assert not v.supported and set(v.unsupported) == {"5.98", "14"}


def test_invented_sku_and_email_fail() -> None:
    v = check("Write to sales@shop.example about FP-JKT-999.", "Contact help@fjordandpine.example. FP-JKT-001")
    assert not v.supported and len(v.unsupported) == 2
