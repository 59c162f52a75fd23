from assistant.security.passwords import MIN_LENGTH, generate, hash_password, verify_password, weakness


def test_hashes_verify_and_never_hold_the_password() -> None:
    stored = hash_password("a fine long passphrase here")
    assert stored.startswith("$argon2id$") and "passphrase" not in stored
    assert verify_password(stored, "a fine long passphrase here")
    assert not verify_password(stored, "a fine long passphrase herE")
    assert not verify_password("not a hash", "anything")
    assert hash_password("same") != hash_password("same")  # salted


def test_weak_passwords_are_named_and_generated_ones_pass() -> None:
    assert "at least 16" in (weakness("short-pass") or "")
    assert weakness("passwordpassword") is not None
    assert weakness("qwertyuiop123456") is not None
    assert weakness("leadleadleadlead1", ("lead",)) is not None
    password = generate()
    assert len(password) >= MIN_LENGTH and weakness(password) is None
