"""Demo customers: names, addresses, emails and phone numbers drawn from the demo data."""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta

from assistant.shop.demo_data import _BY_CODE, _FOLD, DATA, FIXTURE_CUSTOMER, _Country
from assistant.shop.records import (
    Address,
    Customer,
)


class People:
    """Draws the demo shop's customers (the fixture customer first) from one random stream."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.crng = rng
        self.now = now

    def customers(self, n: int) -> list[Customer]:
        rng = self.crng
        emails: set[str] = {"lena.hoffmann@example.com"}
        out = [
            Customer(
                id=FIXTURE_CUSTOMER,
                first_name="Lena",
                last_name="Hoffmann",
                email="lena.hoffmann@example.com",
                phone="+49 170 5550123",
                created_at=self.now - timedelta(days=700),
                addresses=[Address(street="Eppendorfer Weg 112", zip="20259", city="Hamburg", country="DE")],
            )
        ]
        codes = [c.code for c in DATA.countries]
        weights = [c.weight for c in DATA.countries]
        for i in range(1, n):
            country = _BY_CODE[rng.choices(codes, weights)[0]]
            names = DATA.names[country.names if rng.random() < 0.9 else rng.choice(list(DATA.names))]
            first, last = rng.choice(names.first), rng.choice(names.last)
            addresses = [self._address(country, rng)]
            if rng.random() < 0.25:
                other = country if rng.random() < 0.8 else _BY_CODE[rng.choices(codes, weights)[0]]
                partner = f"{rng.choice(names.first)} {last}" if rng.random() < 0.3 else None
                addresses.append(self._address(other, rng).model_copy(update={"name": partner}))
            out.append(
                Customer(
                    id=f"C{10001 + i}",
                    first_name=first,
                    last_name=last,
                    email=self._email(first, last, emails, rng),
                    phone=_phone(country.code, rng) if rng.random() < 0.85 else None,
                    created_at=self.now - timedelta(minutes=rng.randint(60 * 24, 60 * 24 * 365 * 4)),
                    addresses=addresses,
                )
            )
        return out

    def _address(self, country: _Country, rng: random.Random) -> Address:
        city = rng.choices(country.cities, [c.weight for c in country.cities])[0]
        name, lo, hi, step = city.name, city.first_zip, city.last_zip, city.step
        number = lo + step * rng.randint(0, (hi - lo) // step)
        street = f"{rng.choice(country.streets)} {rng.randint(1, 160)}"
        if country.code == "NL":
            letters = "ABCEGHJKLMNPRTVWXZ"
            zip_code = f"{number} {rng.choice(letters)}{rng.choice(letters)}"
        elif country.code == "SE":
            zip_code = f"{number // 100} {number % 100:02d}"
        elif country.code in ("DE", "FI"):
            zip_code = f"{number:05d}"
        else:
            zip_code = f"{number:04d}"
        return Address(street=street, zip=zip_code, city=name, country=country.code)

    @staticmethod
    def _email(first: str, last: str, taken: set[str], rng: random.Random) -> str:
        def fold(text: str) -> str:
            text = text.lower().translate(_FOLD)
            text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
            return "".join(ch for ch in text if ch.isalnum())

        f, la = fold(first), fold(last)
        pattern = rng.choice([f"{f}.{la}", f"{f}{la}", f"{f[0]}.{la}", f"{f}.{la}{rng.randint(70, 99)}", f"{f}_{la}"])
        email = f"{pattern}@{rng.choice(DATA.email_domains)}"
        while email in taken:
            email = f"{pattern}{rng.randint(1, 999)}@{rng.choice(DATA.email_domains)}"
        taken.add(email)
        return email


def _phone(country: str, rng: random.Random) -> str:
    def digits(k: int) -> str:
        return "".join(rng.choices("0123456789", k=k))

    return {
        "DE": lambda: f"+49 1{rng.choice('567')}{rng.randint(0, 9)} {digits(8)}",
        "AT": lambda: f"+43 6{rng.choice('5678')}{rng.randint(0, 9)} {digits(7)}",
        "CH": lambda: f"+41 7{rng.choice('56789')} {digits(3)} {digits(2)} {digits(2)}",
        "NL": lambda: f"+31 6 {digits(8)}",
        "BE": lambda: f"+32 4{rng.choice('789')}{rng.randint(0, 9)} {digits(2)} {digits(2)} {digits(2)}",
        "DK": lambda: f"+45 {rng.choice('23')}{digits(1)} {digits(2)} {digits(2)} {digits(2)}",
        "SE": lambda: f"+46 7{rng.choice('0236')} {digits(3)} {digits(2)} {digits(2)}",
        "NO": lambda: f"+47 {rng.choice('49')}{digits(2)} {digits(2)} {digits(3)}",
        "FI": lambda: f"+358 4{rng.randint(0, 5)} {digits(3)} {digits(4)}",
    }[country]()
