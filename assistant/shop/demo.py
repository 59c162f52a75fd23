"""A demo shop database for Fjord & Pine: customers, orders, parcels, returns and refunds that follow the policies.

``build_demo_shop`` fills a :class:`~assistant.shop.store.ShopDB` deterministically (seeded ``random.Random``): the
same seed, catalogue and ``now`` give the same data. Products and variants come from the catalogue in the
knowledge folder; every order line is a real SKU, colour and size at the catalogue price. Customers live mostly in
Germany (the shop ships from Hamburg), Austria, Switzerland, the Netherlands, Belgium and the Nordic countries,
with realistic names, postcodes and phone numbers; emails use the reserved ``example`` domains.

Orders follow the policies: shipping costs and free-shipping thresholds by region, DHL in Germany, Switzerland
and Norway, DPD to the rest of the EU, UPS for express; dispatch the same business day when placed by 14:00
German time (bank transfers once the money arrives); delivery times in business days by region; Klarna only in
DE, AT, NL and BE; no bank transfer outside the EU; welcome (10%) and student (15%) codes; returns within 30 days
of delivery with the region's label fee; refunds to the original payment method within 5 business days of the
return's arrival, with the discount spread over the items. Times spread over the last ~120 days before ``now``,
and every order status is present:

* ``pending``: placed less than an hour ago (still changeable online);
* ``processed``: in the warehouse, not dispatched yet;
* ``shipped``: a parcel with carrier, tracking number, expected delivery and tracking events so far;
* ``delivered``: some inside the 30-day return window, most outside it;
* ``cancelled``: before dispatch, with a reason (PayPal and gift-card payments refunded);
* ``returned``: a return registered (or received) whose refund is not issued yet;
* ``refunded``: return received and refund issued.

Well-known records (:data:`DEMO_FIXTURES`) have fixed numbers and timings relative to ``now``, whatever the seed;
customer ``C10001`` (Lena Hoffmann, lena.hoffmann@example.com, Hamburg) owns 104233, 104156 and 103750:

* 104250: pending, placed 20 minutes ago;
* 104247: processed, placed 2 hours ago, not dispatched;
* 104236: shipped express with UPS to Vienna yesterday;
* 104233: shipped with DHL yesterday, in transit, delivery expected in 2 days;
* 104156: delivered 6 days ago (inside the return window);
* 104146: cancelled 10 days ago, PayPal payment refunded;
* 104135: returned: return registered 3 days ago, not yet received, no refund yet;
* 104073: shipped 16 days ago with DPD to Austria, no tracking update for over 14 days: late;
* 103958: refunded 14 days ago to PayPal after a whole-order return;
* 103917: delivered 29 days ago (the return window closes tomorrow);
* 103750: delivered 45 days ago (outside the return window).
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.knowledge import Product, load_knowledge
from assistant.shop.business_days import add_business_days, is_business_day
from assistant.shop.records import (
    Address,
    Customer,
    Fulfilment,
    Order,
    OrderItem,
    ProductRow,
    Refund,
    ReturnItem,
    ReturnRecord,
    TrackingEvent,
    VariantRow,
    iso,
)
from assistant.shop.store import ShopDB
from assistant.shop.writes import save_customers, save_orders, save_products

DEMO_FIXTURES: dict[int, str] = {
    104250: "pending: placed 20 minutes ago, can still be changed or cancelled online",
    104247: "processed: placed 2 hours ago, in the warehouse, not dispatched yet",
    104236: "shipped: express with UPS to Vienna (AT) yesterday, in transit",
    104233: "shipped: with DHL to Hamburg yesterday, in transit, delivery expected in 2 days (customer C10001)",
    104156: "delivered: 6 days ago, inside the 30-day return window (customer C10001)",
    104146: "cancelled: 10 days ago, 35 minutes after it was placed (ordered the wrong size); PayPal refunded",
    104135: "returned: delivered 8 days ago, return registered 3 days ago, not yet received, no refund yet",
    104073: "shipped: 16 days ago with DPD to Austria, no tracking update for over 14 days, expected 8 days ago: late",
    103958: "refunded: whole order returned from the Netherlands, refund issued to PayPal 14 days ago",
    103917: "delivered: 29 days ago, the 30-day return window closes tomorrow",
    103750: "delivered: 45 days ago, outside the 30-day return window (customer C10001)",
}
"""Order number -> what it is; these exist in every demo shop with the promised status and timing."""

FIXTURE_CUSTOMER = "C10001"
"""Lena Hoffmann (lena.hoffmann@example.com), Hamburg: owns 104233, 104156 and 103750."""

try:
    from zoneinfo import ZoneInfo

    SHOP_TZ: tzinfo = ZoneInfo("Europe/Berlin")
except Exception:  # no time zone database (Windows without tzdata): central European winter time
    from datetime import timezone

    SHOP_TZ = timezone(timedelta(hours=1), "CET")

CUTOFF = time(14, 0)
"""Orders placed and paid by this German time on a business day leave the same day."""


@dataclass(frozen=True)
class _Country:
    code: str
    weight: float
    region: str  # DE, EU or CH_NO: shipping prices, carriers, delivery times, return label fees
    names: str
    cities: tuple[tuple[str, int, int, int, float], ...]  # name, first and last postcode, step, weight
    streets: tuple[str, ...]


COUNTRIES: tuple[_Country, ...] = (
    _Country(
        "DE",
        56,
        "DE",
        "de",
        (
            ("Hamburg", 20095, 22769, 1, 9),
            ("Berlin", 10115, 14199, 1, 6),
            ("München", 80331, 81929, 1, 5),
            ("Köln", 50667, 51149, 1, 3),
            ("Frankfurt am Main", 60306, 60599, 1, 3),
            ("Stuttgart", 70173, 70629, 1, 2),
            ("Leipzig", 4103, 4357, 1, 2),
            ("Dresden", 1067, 1328, 1, 2),
            ("Bremen", 28195, 28779, 1, 2),
            ("Hannover", 30159, 30669, 1, 2),
            ("Kiel", 24103, 24159, 1, 2),
            ("Lübeck", 23552, 23570, 1, 1),
            ("Rostock", 18055, 18147, 1, 1),
            ("Münster", 48143, 48167, 1, 1),
            ("Nürnberg", 90402, 90491, 1, 2),
            ("Freiburg im Breisgau", 79098, 79117, 1, 1),
            ("Garmisch-Partenkirchen", 82467, 82467, 1, 1),
            ("Düsseldorf", 40210, 40629, 1, 2),
        ),
        (
            "Hauptstraße",
            "Bahnhofstraße",
            "Schulstraße",
            "Gartenstraße",
            "Lindenstraße",
            "Goethestraße",
            "Schillerstraße",
            "Birkenweg",
            "Rosenstraße",
            "Bergstraße",
            "Parkallee",
            "Kastanienallee",
            "Mühlenweg",
            "Am Markt",
            "Friedrichstraße",
            "Uhlandstraße",
            "Ahornweg",
            "Kirchweg",
        ),
    ),
    _Country(
        "AT",
        11,
        "EU",
        "at",
        (
            ("Wien", 1010, 1230, 10, 6),
            ("Graz", 8010, 8055, 1, 2),
            ("Linz", 4020, 4040, 1, 1),
            ("Salzburg", 5020, 5026, 1, 1),
            ("Innsbruck", 6020, 6080, 1, 2),
        ),
        ("Hauptplatz", "Kirchengasse", "Schulgasse", "Lindengasse", "Bahnhofstraße", "Mozartgasse", "Feldgasse"),
    ),
    _Country(
        "CH",
        5,
        "CH_NO",
        "ch",
        (
            ("Zürich", 8001, 8057, 1, 3),
            ("Bern", 3004, 3027, 1, 2),
            ("Basel", 4051, 4059, 1, 1),
            ("Luzern", 6003, 6015, 1, 1),
            ("St. Gallen", 9000, 9016, 1, 1),
        ),
        ("Bahnhofstrasse", "Dorfstrasse", "Seestrasse", "Hauptstrasse", "Bergstrasse", "Rosenweg", "Kirchweg"),
    ),
    _Country(
        "NL",
        8,
        "EU",
        "nl",
        (
            ("Amsterdam", 1011, 1109, 1, 3),
            ("Utrecht", 3511, 3585, 1, 2),
            ("Rotterdam", 3011, 3089, 1, 2),
            ("Den Haag", 2491, 2597, 1, 1),
            ("Groningen", 9711, 9747, 1, 1),
        ),
        ("Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsweg", "Julianalaan", "Beatrixlaan", "Parkweg"),
    ),
    _Country(
        "BE",
        3,
        "EU",
        "be",
        (
            ("Brussel", 1000, 1210, 1, 2),
            ("Antwerpen", 2000, 2660, 1, 2),
            ("Gent", 9000, 9052, 1, 1),
            ("Leuven", 3000, 3012, 1, 1),
        ),
        ("Kerkstraat", "Stationsstraat", "Molenstraat", "Nieuwstraat", "Kapelstraat", "Schoolstraat"),
    ),
    _Country(
        "DK",
        5,
        "EU",
        "dk",
        (("København", 1050, 2450, 1, 3), ("Aarhus", 8000, 8270, 1, 2), ("Odense", 5000, 5270, 1, 1)),
        ("Nørregade", "Vestergade", "Østergade", "Søndergade", "Skolevej", "Strandvejen", "Møllevej"),
    ),
    _Country(
        "SE",
        6,
        "EU",
        "se",
        (
            ("Stockholm", 11120, 11896, 1, 3),
            ("Göteborg", 41101, 41878, 1, 2),
            ("Uppsala", 75220, 75758, 1, 1),
            ("Umeå", 90325, 90749, 1, 1),
        ),
        ("Storgatan", "Drottninggatan", "Kungsgatan", "Skolgatan", "Kyrkogatan", "Ringvägen", "Järnvägsgatan"),
    ),
    _Country(
        "NO",
        4,
        "CH_NO",
        "no",
        (
            ("Oslo", 150, 1295, 1, 3),
            ("Bergen", 5003, 5099, 1, 2),
            ("Trondheim", 7010, 7099, 1, 1),
            ("Tromsø", 9006, 9020, 1, 1),
        ),
        ("Storgata", "Kirkegata", "Skolegata", "Strandveien", "Parkveien", "Kongens gate", "Dronningens gate"),
    ),
    _Country(
        "FI",
        2,
        "EU",
        "fi",
        (
            ("Helsinki", 100, 990, 10, 3),
            ("Tampere", 33100, 33900, 100, 1),
            ("Turku", 20100, 20960, 10, 1),
            ("Oulu", 90100, 90940, 10, 1),
        ),
        ("Mannerheimintie", "Hämeenkatu", "Kirkkokatu", "Koulukatu", "Rantatie", "Puistokatu", "Asemakatu"),
    ),
)
_BY_CODE = {c.code: c for c in COUNTRIES}

NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "de": (
        (
            "Anna", "Lena", "Laura", "Julia", "Sarah", "Lisa", "Katharina", "Johanna", "Sophie", "Marie", "Hannah",
            "Clara", "Franziska", "Miriam", "Sabine", "Claudia", "Petra", "Andrea", "Birgit", "Kerstin", "Nicole",
            "Jana", "Greta", "Frieda", "Charlotte", "Lukas", "Jonas", "Felix", "Maximilian", "Paul", "Leon", "Finn",
            "Tobias", "Florian", "Jan", "Moritz", "Niklas", "Simon", "David", "Matthias", "Thomas", "Michael",
            "Stefan", "Andreas", "Markus", "Christian", "Sebastian", "Dirk", "Jens", "Ole", "Hauke", "Henrik",
        ),
        (
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
            "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
            "Braun", "Krüger", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler", "Jansen", "Petersen",
            "Hansen", "Brandt", "Vogel", "Friedrich", "Keller", "Günther", "Berger", "Winkler", "Lorenz", "Baumann",
            "Albrecht", "Ludwig", "Böhm", "Thomsen", "Carstensen",
        ),
    ),
    "at": (
        (
            "Lukas", "Tobias", "Florian", "Matthias", "Stefan", "Elias", "Jakob", "Johannes", "Maximilian",
            "Valentina", "Magdalena", "Theresa", "Verena", "Katrin", "Barbara", "Anna", "Sophie", "Lisa", "Julia",
        ),
        (
            "Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner", "Moser", "Mayer", "Hofer", "Leitner",
            "Berger", "Fuchs", "Eder", "Fischer", "Schmid", "Winkler", "Weber", "Maier", "Reiter", "Brunner",
            "Wimmer", "Egger", "Auer", "Lechner", "Aigner",
        ),
    ),
    "ch": (
        ("Luca", "Noah", "Reto", "Urs", "Beat", "Daniel", "Marco", "Nina", "Lara", "Corinne", "Seraina", "Martina"),
        (
            "Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Steiner", "Gerber", "Brunner", "Frei", "Moser",
            "Widmer", "Wyss", "Graf", "Suter",
        ),
    ),
    "nl": (
        (
            "Daan", "Sem", "Lucas", "Bram", "Jesse", "Thijs", "Ruben", "Joris", "Maarten", "Pieter", "Sanne",
            "Lotte", "Fleur", "Anouk", "Femke", "Eva", "Iris", "Noor", "Lieke", "Marloes",
        ),
        (
            "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit", "Meijer",
            "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
            "van der Meer", "Kok",
        ),
    ),
    "be": (
        ("Arne", "Wout", "Jens", "Lars", "Pieter", "Sofie", "Lien", "Elke", "Hanne", "Ine"),
        ("Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters", "De Smet"),
    ),
    "dk": (
        ("Mads", "Rasmus", "Mikkel", "Frederik", "Emil", "Søren", "Anders", "Ida", "Freja", "Mette", "Signe"),
        ("Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen"),
    ),
    "se": (
        ("Erik", "Lars", "Johan", "Oskar", "Gustav", "Axel", "Elsa", "Maja", "Ebba", "Linnea", "Karin", "Ingrid"),
        (
            "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson",
            "Lindberg", "Lindqvist", "Bergström", "Lundgren", "Sjöberg",
        ),
    ),
    "no": (
        ("Ola", "Kari", "Magnus", "Sindre", "Eirik", "Håkon", "Sigurd", "Ingrid", "Silje", "Solveig", "Marte", "Tuva"),
        ("Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Haugen", "Bakken", "Dahl", "Lie", "Strand", "Solberg"),
    ),
    "fi": (
        ("Mikko", "Juha", "Antti", "Ville", "Eero", "Onni", "Aino", "Sanna", "Kaisa", "Elina", "Liisa"),
        ("Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen", "Koskinen"),
    ),
}  # fmt: skip

EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "post.example")

PAYMENT_WEIGHTS = {
    "card": 30,
    "paypal": 30,
    "klarna_pay_later": 12,
    "klarna_instalments": 4,
    "apple_pay": 8,
    "google_pay": 5,
    "bank_transfer": 6,
    "gift_card": 2,
}
KLARNA_COUNTRIES = {"DE", "AT", "NL", "BE"}
STATUS_WEIGHTS = {  # about ten orders a day: a few open ones, most delivered long ago
    "pending": 0.5,
    "processed": 1.5,
    "shipped": 3,
    "delivered": 70,
    "cancelled": 6,
    "returned": 2,
    "refunded": 12,
}
CANCEL_REASONS = (
    ("ordered the wrong size", 4),
    ("ordered twice by mistake", 2),
    ("no longer needed", 3),
    ("found it cheaper elsewhere", 1),
    ("delivery would take too long", 1),
)

# Shipping policy, by region: standard price and free-from threshold, express price, carriers, business days.
STANDARD = {
    "DE": (Decimal("4.95"), Decimal(50)),
    "EU": (Decimal("7.95"), Decimal(100)),
    "CH_NO": (Decimal("14.95"), None),
}
EXPRESS = {"DE": Decimal("12.95"), "EU": Decimal("19.95"), "CH_NO": Decimal("34.95")}
CARRIER = {"DE": "DHL", "EU": "DPD", "CH_NO": "DHL"}
TRANSIT = {"DE": (1, 3), "EU": (3, 6), "CH_NO": (4, 7)}
EXPRESS_TRANSIT = {"DE": (1, 1), "EU": (1, 2), "CH_NO": (2, 3)}
LABEL_FEE = {"DE": Decimal("0.00"), "EU": Decimal("5.95"), "CH_NO": Decimal("9.95")}
SIZED_CATEGORIES = {"jackets", "base-layers-and-tees", "fleece-and-knitwear", "footwear", "trousers-and-shorts"}

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ø": "oe", "å": "aa", "æ": "ae"})


def build_demo_shop(
    db_path: Path,
    knowledge_dir: Path,
    customers: int = 220,
    orders: int = 1100,
    seed: int = 7,
    now: datetime | None = None,
    replace: bool = False,
) -> dict[str, int]:
    """Create the demo shop database from the catalogue in ``knowledge_dir``.

    Args:
        db_path: SQLite file to create (``<data_dir>/shop.sqlite`` by default in the CLI).
        knowledge_dir: The knowledge folder whose catalogue supplies products, variants and prices.
        customers: How many customers (at least 12).
        orders: How many orders, the fixtures included (at least 50).
        seed: Seed of the random generator; the same seed, catalogue and ``now`` give the same data.
        now: The moment the data is relative to (default: now); naive times count as UTC.
        replace: Delete an existing database file first; without it an existing shop with orders is an error.

    Returns:
        Rows per table, as :meth:`ShopDB.counts` reports them.

    Raises:
        AssistantError: The catalogue has no products, the arguments are too small, or the database already
            holds orders and ``replace`` is False.
    """
    if customers < 12 or orders < 50:
        raise AssistantError(f"a demo shop needs at least 12 customers and 50 orders, not {customers} and {orders}")
    kb = load_knowledge(knowledge_dir)
    if not kb.products:
        raise AssistantError(f"no products in the catalogue under {knowledge_dir}; run `python -m assistant kb check`")
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if replace:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    with ShopDB(db_path) as shop:
        existing = shop.counts()["orders"]
        if existing:
            raise AssistantError(f"{db_path} already holds {existing} orders; rebuild it with --replace")
        gen = _Generator(kb.products, seed, moment)
        people = gen.customers(customers)
        made = gen.orders(people, orders)
        with shop.transaction() as db:
            save_products(db, [_product_row(p) for p in kb.products])
            save_customers(db, people)
            save_orders(db, made)
        shop.set_info(origin="demo", built_at=iso(moment) or "")
        return shop.counts()


def _product_row(p: Product) -> tuple[ProductRow, list[VariantRow]]:
    details = p.model_dump(mode="json", include={"gender", "materials", "care", "weight_g", "features", "description"})
    row = ProductRow(sku=p.sku, name=p.name, category=p.category, price=p.price, currency=p.currency, details=details)
    return row, [VariantRow(sku=p.sku, color=v.color, size=v.size, stock=v.stock) for v in p.variants]


# --- time helpers -----------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    return moment.astimezone(SHOP_TZ)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A German wall-clock time on ``day``, in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHOP_TZ).astimezone(UTC)


@dataclass
class _Plan:
    """When things happen to one order (UTC); times after ``now`` have not happened yet."""

    status: str
    placed: datetime
    shipped: datetime | None = None
    expected: date | None = None
    delivered: datetime | None = None
    cancelled: datetime | None = None
    cancel_reason: str | None = None
    registered: datetime | None = None
    received: datetime | None = None
    refunded: datetime | None = None
    return_reason: str | None = None
    whole_return: bool = True


class _Generator:
    """Draws customers and orders; one random stream for customers and one for orders."""

    def __init__(self, products: Sequence[Product], seed: int, now: datetime) -> None:
        self.products = list(products)
        self.now = now
        self.crng = random.Random(f"{seed}:customers")
        self.rng = random.Random(f"{seed}:orders")
        self.popularity = [self.rng.lognormvariate(0, 0.8) for _ in self.products]
        self.sized = [i for i, p in enumerate(self.products) if p.category in SIZED_CATEGORIES]
        self.pools = {
            sized: (pool, list(itertools.accumulate(self.popularity[i] for i in pool)))
            for sized, pool in (
                (False, list(range(len(self.products)))),
                (True, self.sized or list(range(len(self.products)))),
            )
        }
        self.tracking: set[str] = set()

    # --- customers ---

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
        codes = [c.code for c in COUNTRIES]
        weights = [c.weight for c in COUNTRIES]
        for i in range(1, n):
            country = _BY_CODE[rng.choices(codes, weights)[0]]
            names = NAMES[country.names if rng.random() < 0.9 else rng.choice(list(NAMES))]
            first, last = rng.choice(names[0]), rng.choice(names[1])
            addresses = [self._address(country, rng)]
            if rng.random() < 0.25:
                other = country if rng.random() < 0.8 else _BY_CODE[rng.choices(codes, weights)[0]]
                partner = f"{rng.choice(names[0])} {last}" if rng.random() < 0.3 else None
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
        name, lo, hi, step, _ = rng.choices(country.cities, [c[4] for c in country.cities])[0]
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
        email = f"{pattern}@{rng.choice(EMAIL_DOMAINS)}"
        while email in taken:
            email = f"{pattern}{rng.randint(1, 999)}@{rng.choice(EMAIL_DOMAINS)}"
        taken.add(email)
        return email

    # --- orders ---

    def orders(self, people: list[Customer], n: int) -> list[Order]:
        rng = self.rng
        fixtures = self._fixtures(people)
        reserved = {o.id for o in fixtures}
        weights = [rng.paretovariate(1.6) for _ in people]
        plans: list[tuple[Customer, Address, str, bool, _Plan]] = []
        for _ in range(n - len(fixtures)):
            customer = rng.choices(people, weights)[0]
            address = customer.addresses[0] if rng.random() < 0.85 else rng.choice(customer.addresses)
            payment = self._payment(address.country)
            express = rng.random() < 0.08
            status = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
            plans.append((customer, address, payment, express, self._plan(status, address.country, payment, express)))
        plans.sort(key=lambda p: p[4].placed)
        out = list(fixtures)
        number = 103000
        for customer, address, payment, express, plan in plans:
            while number in reserved:
                number += 1
            out.append(self._order(number, customer, address, payment, express, plan))
            number += 1 if rng.random() < 0.9 else rng.randint(2, 3)
        first_order: dict[str, datetime] = {}
        for o in out:
            first_order[o.customer_id] = min(o.placed_at, first_order.get(o.customer_id, o.placed_at))
        for i, c in enumerate(people):
            if c.id in first_order and c.created_at > first_order[c.id]:
                signup = first_order[c.id] - timedelta(minutes=self.crng.randint(5, 60 * 24 * 3))
                people[i] = c.model_copy(update={"created_at": signup})
        return sorted(out, key=lambda o: o.id)

    def _payment(self, country: str) -> str:
        methods = [
            m
            for m in PAYMENT_WEIGHTS
            if not (m.startswith("klarna") and country not in KLARNA_COUNTRIES)
            and not (m == "bank_transfer" and _BY_CODE[country].region == "CH_NO")
        ]
        return self.rng.choices(methods, [PAYMENT_WEIGHTS[m] for m in methods])[0]

    def _dispatch(self, placed: datetime, payment: str) -> datetime:
        """When the parcel leaves Hamburg: same business day if placed by 14:00, bank transfers once paid."""
        local = _local(placed)
        day = local.date()
        if payment == "bank_transfer":
            day = add_business_days(day, self.rng.randint(1, 3))
        elif not (is_business_day(day) and local.time() < CUTOFF):
            day = add_business_days(day, 1)
        return _at(day, 16, 30) + timedelta(minutes=self.rng.randint(0, 120))

    def _transit(self, country: str, express: bool) -> tuple[int, int, int]:
        """Business days in transit: drawn, and the policy's range (a few parcels are a day or two late)."""
        region = _BY_CODE[country].region
        lo, hi = (EXPRESS_TRANSIT if express else TRANSIT)[region]
        days = self.rng.randint(lo, hi) + (self.rng.randint(1, 2) if self.rng.random() < 0.04 else 0)
        return days, lo, hi

    def _deliver(self, shipped: datetime, days: int) -> datetime:
        day = add_business_days(_local(shipped).date(), days)
        return _at(day, 8, 30) + timedelta(minutes=self.rng.randint(0, 600))

    def _plan(self, status: str, country: str, payment: str, express: bool) -> _Plan:
        """Times for a random order with ``status``, drawn until they fit the status at ``now``."""
        rng, now = self.rng, self.now
        for _ in range(500):
            if status == "pending":
                return _Plan(status, now - timedelta(minutes=rng.randint(3, 57)))
            placed = now - timedelta(minutes=rng.randint(*_PLACED_MINUTES[status]))
            shipped = self._dispatch(placed, payment)
            if status == "processed":
                if shipped > now:
                    return _Plan(status, placed)
                continue
            if status == "cancelled":
                plan = self._cancelled(placed, shipped, payment)
                if plan:
                    return plan
                continue
            days, _, hi = self._transit(country, express)
            delivered = self._deliver(shipped, days)
            expected = add_business_days(_local(shipped).date(), hi)
            if shipped > now:
                continue
            if status == "shipped":
                if delivered > now:
                    return _Plan(status, placed, shipped, expected, delivered)
                continue
            if delivered > now:
                continue
            plan = _Plan(status, placed, shipped, expected, delivered)
            if status == "delivered":
                return plan
            if self._returned(plan, country):
                return plan
        raise AssertionError(f"no timing found for a {status} order")  # pragma: no cover - ranges always fit

    def _cancelled(self, placed: datetime, shipped: datetime, payment: str) -> _Plan | None:
        rng, now = self.rng, self.now
        if payment == "bank_transfer" and rng.random() < 0.5:
            at = placed + timedelta(days=7, minutes=rng.randint(0, 120))
            reason = "bank transfer not received within 7 days"
        else:
            latest = min(shipped, now) - placed
            at = placed + timedelta(seconds=rng.randint(120, max(121, int(latest.total_seconds()) - 60)))
            reason = rng.choices([r for r, _ in CANCEL_REASONS], [w for _, w in CANCEL_REASONS])[0]
        if at > now:
            return None
        return _Plan("cancelled", placed, cancelled=at, cancel_reason=reason)

    def _returned(self, plan: _Plan, country: str) -> bool:
        """Draw a return for a delivered order; True if its timing fits ``plan.status`` (returned or refunded)."""
        rng, now = self.rng, self.now
        assert plan.delivered is not None
        window = min(timedelta(days=29, hours=20), now - plan.delivered)
        if window < timedelta(hours=3):
            return False
        plan.registered = plan.delivered + timedelta(seconds=rng.randint(3 * 3600, int(window.total_seconds())))
        received = plan.registered + timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 8))
        refunded = _at(add_business_days(_local(received).date(), rng.randint(1, 5)), 10) + timedelta(
            minutes=rng.randint(0, 420)
        )
        plan.return_reason = self._return_reason()
        plan.whole_return = rng.random() < 0.6
        if plan.status == "refunded":
            if refunded > now:
                return False
            plan.received, plan.refunded = received, refunded
            return True
        if refunded <= now:
            return False
        plan.received = received if received <= now else None
        return True

    def _return_reason(self) -> str:
        reasons = ["too_small", "too_large", "not_as_expected", "changed_mind", "faulty", "wrong_item"]
        return self.rng.choices(reasons, [25, 20, 25, 20, 6, 4])[0]

    def _items(self, in_stock: bool, sized: bool = False) -> list[OrderItem]:
        rng = self.rng
        pool, cum_weights = self.pools[sized]
        count = rng.choices([1, 2, 3, 4], [50, 30, 14, 6])[0]
        chosen: list[OrderItem] = []
        seen: set[tuple[str, str, str | None]] = set()
        for _ in range(count * 3):
            if len(chosen) == count:
                break
            p = self.products[rng.choices(pool, cum_weights=cum_weights)[0]]
            variants = [v for v in p.variants if v.stock > 0] if in_stock else p.variants
            if not variants:
                continue
            v = rng.choice(variants)
            if (p.sku, v.color, v.size) in seen:
                continue
            seen.add((p.sku, v.color, v.size))
            quantity = rng.choices([1, 2, 3], [85, 12, 3] if p.category != "accessories" else [60, 30, 10])[0]
            if in_stock:
                quantity = min(quantity, v.stock)
            chosen.append(
                OrderItem(
                    line=len(chosen) + 1,
                    sku=p.sku,
                    name=p.name,
                    color=v.color,
                    size=v.size,
                    quantity=quantity,
                    unit_price=p.price,
                )
            )
        return chosen or self._items(in_stock=False, sized=sized)

    def _order(
        self,
        number: int,
        customer: Customer,
        address: Address,
        payment: str,
        express: bool,
        plan: _Plan,
        sized: bool = False,
    ) -> Order:
        rng, now = self.rng, self.now
        region = _BY_CODE[address.country].region
        items = self._items(in_stock=plan.status in ("pending", "processed"), sized=sized)
        subtotal = sum((it.total for it in items), Decimal("0.00"))
        discount = Decimal("0.00")
        code = rng.random()
        if code < 0.06 and subtotal >= 50:
            discount = (subtotal * Decimal("0.10")).quantize(Decimal("0.01"))
        elif code < 0.09:
            discount = (subtotal * Decimal("0.15")).quantize(Decimal("0.01"))
        standard = _standard_cost(region, subtotal - discount)
        shipping = EXPRESS[region] if express else standard
        delivery = address if address.name else address.model_copy(update={"name": customer.name})
        fulfilments: list[Fulfilment] = []
        delivered_at = plan.delivered if plan.delivered and plan.delivered <= now else None
        if plan.shipped is not None:
            carrier = "UPS" if express else CARRIER[region]
            events = self._events(carrier, plan, address, now)
            fulfilments.append(
                Fulfilment(
                    carrier=carrier,
                    service="express" if express else "standard",
                    tracking_number=self._tracking_number(carrier),
                    shipped_at=plan.shipped,
                    expected_delivery=plan.expected,
                    delivered_at=delivered_at,
                    events=events,
                )
            )
        total = subtotal - discount + shipping
        returns: list[ReturnRecord] = []
        refunds: list[Refund] = []
        if plan.registered is not None:
            returns.append(self._return(plan, items, subtotal, discount, shipping, standard, region, payment))
        if plan.cancelled is not None and payment in ("paypal", "gift_card"):
            issued = plan.cancelled + timedelta(hours=rng.randint(2, 40))
            if issued <= now:
                refunds.append(Refund(amount=total, method=payment, reason="cancellation", issued_at=issued))
        moments = [plan.placed, plan.cancelled, plan.registered, plan.received, plan.refunded]
        moments += [e.at for f in fulfilments for e in f.events] + [r.issued_at for r in refunds]
        updated = max(m for m in moments if m is not None and m <= now)
        return Order(
            id=number,
            customer_id=customer.id,
            status=plan.status,
            placed_at=plan.placed,
            updated_at=updated,
            payment_method=payment,
            shipping_method="express" if express else "standard",
            subtotal=subtotal,
            discount=discount,
            shipping_cost=shipping,
            total=total,
            delivery_address=delivery,
            cancelled_at=plan.cancelled,
            cancel_reason=plan.cancel_reason,
            delivered_at=delivered_at,
            items=items,
            fulfilments=fulfilments,
            returns=returns,
            refunds=refunds,
        )

    def _return(
        self,
        plan: _Plan,
        items: list[OrderItem],
        subtotal: Decimal,
        discount: Decimal,
        shipping: Decimal,
        standard: Decimal,
        region: str,
        payment: str,
    ) -> ReturnRecord:
        """The return with its refund: items at the price paid, minus the label fee, plus shipping where due."""
        assert plan.registered is not None and plan.return_reason is not None
        rng = self.rng
        if plan.whole_return or (len(items) == 1 and items[0].quantity == 1):
            back = [ReturnItem(line=it.line, quantity=it.quantity) for it in items]
        else:
            picked = rng.sample(items, rng.randint(1, len(items)))
            back = [ReturnItem(line=it.line, quantity=rng.randint(1, it.quantity)) for it in picked]
            back.sort(key=lambda r: r.line)
        by_line = {it.line: it for it in items}
        value = sum((by_line[r.line].unit_price * r.quantity for r in back), Decimal("0.00"))
        paid = (value * (subtotal - discount) / subtotal).quantize(Decimal("0.01"))
        whole = all(r.quantity == by_line[r.line].quantity for r in back) and len(back) == len(items)
        faulty = plan.return_reason in ("faulty", "wrong_item")
        fee = Decimal("0.00") if faulty else LABEL_FEE[region]
        if faulty:
            paid += shipping
        elif whole:
            paid += standard
        refund = None
        if plan.refunded is not None:
            refund = Refund(amount=paid - fee, method=payment, reason="return", issued_at=plan.refunded)
        status = "refunded" if refund else "received" if plan.received else "registered"
        return ReturnRecord(
            registered_at=plan.registered,
            reason=plan.return_reason,
            status=status,
            received_at=plan.received,
            label_fee=fee,
            items=back,
            refund=refund,
        )

    def _tracking_number(self, carrier: str) -> str:
        rng = self.rng
        while True:
            if carrier == "DHL":
                number = "00340434" + "".join(rng.choices("0123456789", k=12))
            elif carrier == "DPD":
                number = "0" + "".join(rng.choices("0123456789", k=13))
            else:
                alnum = "0123456789ABCDEFGHJKLMNPRSTVWXYZ"
                number = "1Z" + "".join(rng.choices(alnum, k=6)) + "66" + "".join(rng.choices("0123456789", k=8))
            if number not in self.tracking:
                self.tracking.add(number)
                return number

    def _events(self, carrier: str, plan: _Plan, address: Address, now: datetime) -> list[TrackingEvent]:
        """The carrier's scans up to ``now``: label, pick-up, parcel centre, border, depot, delivery."""
        assert plan.shipped is not None
        rng = self.rng
        shipped = plan.shipped
        home = "Hamburg, DE"
        there = f"{address.city}, {address.country}"
        events = [
            TrackingEvent(
                at=shipped - timedelta(minutes=rng.randint(60, 240)),
                status="label_created",
                location=home,
                description=f"Shipment information sent to {carrier} electronically",
            ),
            TrackingEvent(
                at=shipped, status="picked_up", location=home, description=f"Parcel handed over to {carrier}"
            ),
            TrackingEvent(
                at=shipped + timedelta(minutes=rng.randint(120, 300)),
                status="in_transit",
                location=home,
                description=f"Processed at the {carrier} parcel centre",
            ),
        ]
        if address.country != "DE":
            events.append(
                TrackingEvent(
                    at=shipped + timedelta(hours=rng.randint(14, 30)),
                    status="in_transit",
                    location=address.country,
                    description="Arrived in the destination country",
                )
            )
        if plan.delivered is not None:
            day = _local(plan.delivered).date()
            if rng.random() < 0.05 and plan.delivered - shipped > timedelta(days=2):
                before = _at(day - timedelta(days=1 if day.weekday() else 3), 11) + timedelta(
                    minutes=rng.randint(0, 300)
                )
                events.append(
                    TrackingEvent(
                        at=before,
                        status="delivery_attempted",
                        location=there,
                        description="Recipient not at home; next attempt on the next business day",
                    )
                )
            events += [
                TrackingEvent(
                    at=_at(day, 5) + timedelta(minutes=rng.randint(0, 90)),
                    status="in_transit",
                    location=there,
                    description="Arrived at the delivery depot",
                ),
                TrackingEvent(
                    at=_at(day, 7, 30) + timedelta(minutes=rng.randint(0, 50)),
                    status="out_for_delivery",
                    location=there,
                    description="Out for delivery",
                ),
                TrackingEvent(
                    at=plan.delivered,
                    status="delivered",
                    location=there,
                    description=rng.choices(
                        [
                            "Delivered to the recipient",
                            "Delivered to a neighbour",
                            "Left at the agreed safe place",
                            "Delivered to a parcel locker",
                        ],
                        [70, 15, 10, 5],
                    )[0],
                ),
            ]
        events.sort(key=lambda e: e.at)
        return [e for e in events if e.at <= now]

    # --- the well-known records ---

    def _fixtures(self, people: list[Customer]) -> list[Order]:
        """The orders of :data:`DEMO_FIXTURES`, with fixed timings relative to ``now``."""
        now, rng = self.now, self.rng
        lena = people[0]

        def ago(**kw: float) -> datetime:
            return now - timedelta(**kw)

        in_country = {
            code: [c for c in people[1:] if c.addresses[0].country == code] or people[1:] for code in ("DE", "AT", "NL")
        }

        def pick(code: str, city: str | None = None) -> Customer:
            pool = [c for c in in_country[code] if city is None or c.addresses[0].city == city] or in_country[code]
            return rng.choice(pool)

        today = _local(now).date()

        def in_transit(days_ago: int, expected: date) -> _Plan:
            shipped = _at(today - timedelta(days=days_ago), 17, 10)
            return _Plan("shipped", shipped - timedelta(hours=5), shipped=shipped, expected=expected)

        def delivered(status: str, days_ago: int, **returned: Any) -> _Plan:
            at = _at(today - timedelta(days=days_ago), 11, 20)
            shipped = _at(today - timedelta(days=days_ago + 2), 17, 10)
            expected = today - timedelta(days=days_ago - 1)
            return _Plan(status, shipped - timedelta(hours=5), shipped, expected, at, **returned)

        cancelled = _Plan(
            "cancelled", ago(days=10, minutes=35), cancelled=ago(days=10), cancel_reason="ordered the wrong size"
        )
        returned = delivered("returned", 8, registered=ago(days=3), return_reason="too_small")
        refunded = delivered(
            "refunded",
            25,
            registered=ago(days=20),
            received=ago(days=16),
            refunded=ago(days=14),
            return_reason="changed_mind",
        )
        specs: list[tuple[int, Customer, str, bool, _Plan, bool]] = [
            (104250, pick("DE"), "card", False, _Plan("pending", ago(minutes=20)), False),
            (104247, pick("DE"), "klarna_pay_later", False, _Plan("processed", ago(hours=2)), False),
            (
                104236,
                pick("AT", "Wien"),
                "card",
                True,
                in_transit(1, today + timedelta(days=1)),
                False,
            ),
            (
                104233,
                lena,
                "card",
                False,
                in_transit(1, today + timedelta(days=2)),
                False,
            ),
            (104156, lena, "paypal", False, delivered("delivered", 6), False),
            (104146, pick("DE"), "paypal", False, cancelled, False),
            (104135, pick("DE"), "card", False, returned, True),
            (
                104073,
                pick("AT"),
                "paypal",
                False,
                in_transit(16, today - timedelta(days=8)),
                False,
            ),
            (103958, pick("NL"), "paypal", False, refunded, False),
            (103917, pick("DE"), "klarna_pay_later", False, delivered("delivered", 29), False),
            (103750, lena, "klarna_pay_later", False, delivered("delivered", 45), False),
        ]
        out = []
        for number, customer, payment, express, plan, sized in specs:
            address = customer.addresses[0]
            out.append(self._order(number, customer, address, payment, express, plan, sized=sized))
        return out


_PLACED_MINUTES = {
    "processed": (61, 60 * 24 * 4),
    "shipped": (60 * 3, 60 * 24 * 15),
    "delivered": (60 * 24 * 2, 60 * 24 * 118),
    "returned": (60 * 24 * 3, 60 * 24 * 45),
    "refunded": (60 * 24 * 8, 60 * 24 * 118),
    "cancelled": (70, 60 * 24 * 118),
}


def _standard_cost(region: str, goods: Decimal) -> Decimal:
    price, free_from = STANDARD[region]
    return Decimal("0.00") if free_from is not None and goods >= free_from else price


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
