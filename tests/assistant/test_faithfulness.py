from assistant.faithfulness import check


def test_supported_numbers_pass() -> None:
    ctx = "Returns are free within 30 days. Label from the UK costs €9.95."
    assert check("You have 30 days, and the UK label is €9.95.", ctx).supported


def test_invented_numbers_fail() -> None:
    v = check("The return label costs £5.98 and takes 14 days.", "Returns are free within 30 days.", min_grounding=0)
    assert not v.supported and set(v.unsupported) == {"5.98", "14"}


def test_invented_sku_and_email_fail() -> None:
    v = check("Write to sales@shop.example about FP-JKT-999.", "Contact help@fjordandpine.example. FP-JKT-001", 0)
    assert not v.supported and len(v.unsupported) == 2


def test_ungrounded_wording_fails_even_without_numbers() -> None:
    ctx = "We ship to Germany, the EU, the UK, Switzerland, Norway, the USA and Canada."
    bad = check("Iceland has no direct shipping options due to their own unique rules; consider flying there.", ctx)
    assert not bad.supported and bad.grounding < 0.5
    good = check("Yes, we ship to Norway and Switzerland.", ctx)
    assert good.supported and good.grounding == 1.0
