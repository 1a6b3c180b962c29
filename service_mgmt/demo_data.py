"""Deterministic demo data: customers, sites, products, installed base, engineers and users.

Everything is drawn from one `random.Random(size.seed)`, and dates are computed from
`REFERENCE_DATE`, so two loads with the same size produce the same business content (names,
numbers, serials, dates, hierarchies) on SQLite and PostgreSQL alike; only ids and
created_at differ.

Nothing goes through ORM objects: a large installed base (a million units, several million
counter readings) would take far too long. The small tables go in as bulk Core inserts; the
installed base is built as tuples in batches and written by `_BulkWriter` (COPY on PostgreSQL,
multi-row INSERTs on SQLite) while the next batch is being built. The caller commits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from bisect import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from itertools import accumulate, chain
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar, cast
from uuid import UUID
from zoneinfo import ZoneInfo

import uuid_utils
from advanced_alchemy.types import GUID
from sqlalchemy import Column, Table, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from core.auth import Role, hash_password
from core.numbering import next_numbers
from masterdata.choices import (
    CustomerStatus,
    EquipmentEventKind,
    EquipmentStatus,
    ProductKind,
    ReadingKind,
    ReadingSource,
)
from masterdata.models import (
    Absence,
    Certification,
    Contact,
    Counter,
    CounterReading,
    Customer,
    Engineer,
    EngineerSkill,
    Equipment,
    EquipmentEvent,
    Product,
    Site,
    User,
    WorkingHours,
)
from service_mgmt.models import KnowledgeCode

Progress = Callable[[str, int, int], None]
Row = dict[str, Any]
T = TypeVar("T")
# Installed-base rows carry uuid_utils' own UUIDs, ten times faster to make than the stdlib
# kind (compat.uuid7), which matters at millions of rows. They never leave this module: asyncpg
# and the SQLite encoder below take anything with `.bytes`, and reads give stdlib UUIDs.
Id = UUID | uuid_utils.UUID
ColumnEncoder = Callable[[Sequence[Any]], Sequence[Any]]

REFERENCE_DATE = dt.date(2026, 11, 1)
TIME_ZONE = "Europe/Berlin"
COUNTRY = "DE"
CURRENCY = "EUR"
ACTOR = "demo-data"
DEMO_PASSWORD = "demo"
# RFC 2606 reserved names, so demo e-mail never reaches a real mailbox.
STAFF_DOMAIN = "demo-service.example"
CUSTOMER_TLD = "example"

_CHUNK = 5000
_BERLIN = ZoneInfo(TIME_ZONE)


@dataclass(frozen=True)
class DemoSize:
    """How much to create; `equipment` counts every unit, components included."""

    customers: int = 240
    equipment: int = 2400
    engineers: int = 24
    seed: int = 20261123


@dataclass(frozen=True)
class DemoSummary:
    """What was created, row counts per kind."""

    customers: int
    sites: int
    contacts: int
    products: int
    equipment: int
    counters: int
    readings: int
    engineers: int
    users: int
    knowledge_codes: int = 0


# --------------------------------------------------------------------------- reference data


@dataclass(frozen=True, slots=True)
class City:
    name: str
    subdivision: str  # ISO 3166-2:DE code without the country prefix
    latitude: float
    longitude: float
    postal_code: int  # the city's first postal code; addresses get one a little above it
    area_code: str
    weight: int  # roughly the population in 100k, so big cities get more customers


REGIONS: dict[str, tuple[City, ...]] = {
    "north": (
        City("Hamburg", "HH", 53.5511, 9.9937, 20095, "40", 18),
        City("Berlin", "BE", 52.5200, 13.4050, 10115, "30", 37),
        City("Bremen", "HB", 53.0793, 8.8017, 28195, "421", 6),
        City("Bremerhaven", "HB", 53.5396, 8.5809, 27568, "471", 1),
        City("Hannover", "NI", 52.3759, 9.7320, 30159, "511", 5),
        City("Braunschweig", "NI", 52.2689, 10.5268, 38100, "531", 2),
        City("Oldenburg", "NI", 53.1435, 8.2146, 26121, "441", 2),
        City("Osnabrück", "NI", 52.2799, 8.0472, 49074, "541", 2),
        City("Wolfsburg", "NI", 52.4227, 10.7865, 38440, "5361", 1),
        City("Lüneburg", "NI", 53.2464, 10.4115, 21335, "4131", 1),
        City("Kiel", "SH", 54.3233, 10.1228, 24103, "431", 2),
        City("Lübeck", "SH", 53.8655, 10.6866, 23552, "451", 2),
        City("Flensburg", "SH", 54.7937, 9.4469, 24937, "461", 1),
        City("Rostock", "MV", 54.0924, 12.0991, 18055, "381", 2),
        City("Schwerin", "MV", 53.6355, 11.4012, 19053, "385", 1),
        City("Potsdam", "BB", 52.3906, 13.0645, 14467, "331", 2),
    ),
    "central": (
        City("Köln", "NW", 50.9375, 6.9603, 50667, "221", 11),
        City("Düsseldorf", "NW", 51.2277, 6.7735, 40213, "211", 6),
        City("Dortmund", "NW", 51.5136, 7.4653, 44135, "231", 6),
        City("Essen", "NW", 51.4556, 7.0116, 45127, "201", 6),
        City("Bonn", "NW", 50.7374, 7.0982, 53111, "228", 3),
        City("Münster", "NW", 51.9607, 7.6261, 48143, "251", 3),
        City("Bielefeld", "NW", 52.0302, 8.5325, 33602, "521", 3),
        City("Frankfurt am Main", "HE", 50.1109, 8.6821, 60311, "69", 8),
        City("Wiesbaden", "HE", 50.0782, 8.2398, 65183, "611", 3),
        City("Kassel", "HE", 51.3127, 9.4797, 34117, "561", 2),
        City("Mainz", "RP", 49.9929, 8.2473, 55116, "6131", 2),
        City("Koblenz", "RP", 50.3569, 7.5890, 56068, "261", 1),
        City("Erfurt", "TH", 50.9848, 11.0299, 99084, "361", 2),
        City("Leipzig", "SN", 51.3397, 12.3731, 4109, "341", 6),
        City("Dresden", "SN", 51.0504, 13.7373, 1067, "351", 6),
        City("Magdeburg", "ST", 52.1205, 11.6276, 39104, "391", 2),
        City("Halle (Saale)", "ST", 51.4825, 11.9697, 6108, "345", 2),
    ),
    "south": (
        City("München", "BY", 48.1351, 11.5820, 80331, "89", 15),
        City("Nürnberg", "BY", 49.4521, 11.0767, 90402, "911", 5),
        City("Augsburg", "BY", 48.3705, 10.8978, 86150, "821", 3),
        City("Regensburg", "BY", 49.0134, 12.1016, 93047, "941", 2),
        City("Ingolstadt", "BY", 48.7665, 11.4258, 85049, "841", 1),
        City("Würzburg", "BY", 49.7913, 9.9534, 97070, "931", 1),
        City("Passau", "BY", 48.5665, 13.4312, 94032, "851", 1),
        City("Stuttgart", "BW", 48.7758, 9.1829, 70173, "711", 6),
        City("Karlsruhe", "BW", 49.0069, 8.4037, 76133, "721", 3),
        City("Mannheim", "BW", 49.4875, 8.4660, 68159, "621", 3),
        City("Freiburg im Breisgau", "BW", 47.9990, 7.8421, 79098, "761", 2),
        City("Ulm", "BW", 48.4011, 9.9876, 89073, "731", 1),
        City("Heidelberg", "BW", 49.3988, 8.6724, 69117, "6221", 2),
        City("Saarbrücken", "SL", 49.2402, 6.9969, 66111, "681", 2),
    ),
}

STREETS = (
    "Hauptstraße",
    "Bahnhofstraße",
    "Industriestraße",
    "Gewerbering",
    "Am Hafen",
    "Lindenallee",
    "Schillerstraße",
    "Goethestraße",
    "Mühlenweg",
    "Gartenstraße",
    "Friedrichstraße",
    "Kaiserstraße",
    "Siemensstraße",
    "Robert-Bosch-Straße",
    "Carl-Benz-Straße",
    "Max-Planck-Straße",
    "Otto-Hahn-Straße",
    "Daimlerstraße",
    "Rudolf-Diesel-Straße",
    "Ringstraße",
    "Lessingstraße",
    "Bismarckstraße",
    "Marktplatz",
    "Hafenstraße",
    "Werkstraße",
    "Im Gewerbepark",
    "Europaallee",
    "Kölner Straße",
    "Berliner Allee",
    "Münchner Straße",
    "Am Klinikum",
    "Rathausplatz",
    "Wiesenweg",
    "Kantstraße",
    "Frankfurter Ring",
    "Dieselstraße",
    "Zeppelinstraße",
    "Leipziger Straße",
    "Parkstraße",
    "Am Bahnhof",
)

FIRST_NAMES = (
    "Anna",
    "Lukas",
    "Sophie",
    "Jonas",
    "Marie",
    "Leon",
    "Laura",
    "Felix",
    "Julia",
    "Maximilian",
    "Lena",
    "Paul",
    "Sarah",
    "Tim",
    "Katharina",
    "Jan",
    "Hannah",
    "Niklas",
    "Lisa",
    "Tobias",
    "Mia",
    "David",
    "Johanna",
    "Florian",
    "Emma",
    "Sebastian",
    "Clara",
    "Stefan",
    "Nina",
    "Michael",
    "Sabine",
    "Thomas",
    "Petra",
    "Andreas",
    "Claudia",
    "Markus",
    "Birgit",
    "Christian",
    "Anja",
    "Mehmet",
    "Elif",
    "Piotr",
    "Agnieszka",
    "Luca",
    "Giulia",
    "Ivan",
    "Olga",
)

LAST_NAMES = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Vogel",
    "Yilmaz",
    "Kowalski",
    "Rossi",
    "Nowak",
)

# Company names are built from a stem; place names give the brand-like ones.
COMPANY_STEMS = (
    *LAST_NAMES,
    "Nordwind",
    "Alpina",
    "Rhein",
    "Elbe",
    "Weser",
    "Isar",
    "Hanse",
    "Ruhr",
    "Taunus",
    "Spree",
    "Main",
    "Donau",
    "Harz",
    "Eifel",
    "Allgäu",
    "Oder",
    "Havel",
    "Brocken",
    "Bodensee",
    "Schwarzwald",
)

SAINTS = ("Elisabeth", "Marien", "Josef", "Vinzenz", "Franziskus", "Hedwig", "Georg", "Martin", "Antonius", "Barbara")


def _weekly(weekdays: Sequence[int], opens: str, closes: str) -> list[dict[str, Any]]:
    return [{"weekday": day, "opens": opens, "closes": closes} for day in weekdays]


_OFFICE_HOURS = _weekly(range(5), "08:00", "17:00")
_LUNCH_BREAK_HOURS = sorted(
    _weekly(range(5), "08:00", "12:00") + _weekly(range(5), "13:00", "16:30"), key=lambda d: d["weekday"]
)
_FACTORY_HOURS = _weekly(range(5), "06:00", "22:00") + _weekly([5], "06:00", "14:00")
_SHOP_HOURS = _weekly(range(6), "07:00", "20:00")
_HOSPITAL_HOURS = _weekly(range(7), "06:00", "22:00")
_WAREHOUSE_HOURS = _weekly(range(6), "05:00", "21:00")


@dataclass(frozen=True, slots=True)
class Segment:
    """A line of business: what a customer is called, what it owns and when it can be visited."""

    name: str
    weight: int
    name_patterns: tuple[str, ...]  # {stem}, {city}, {saint}
    families: dict[str, int]  # equipment family -> share of the customer's installed base
    site_labels: tuple[str, ...]  # the first one names the main site
    contact_roles: tuple[str, ...]
    opening_hours: tuple[list[dict[str, Any]], ...]


SEGMENTS = (
    Segment(
        "healthcare",
        20,
        (
            "Klinik {stem} GmbH",
            "{stem} Praxisklinik GmbH",
            "MVZ {stem} {city}",
            "Radiologie {stem} {city}",
            "St. {saint}-Krankenhaus {city}",
            "{stem} Reha-Zentrum GmbH",
        ),
        {"medical": 55, "hvac": 25, "printers": 15, "compressors": 5},
        ("Main hospital", "Outpatient clinic", "Imaging centre", "Day clinic"),
        ("Head of Medical Technology", "Facility Manager", "Purchasing", "Radiology Lead", "IT Administrator"),
        (_HOSPITAL_HOURS, _OFFICE_HOURS),
    ),
    Segment(
        "manufacturing",
        35,
        (
            "{stem} Maschinenbau GmbH",
            "{stem} Metallbearbeitung GmbH & Co. KG",
            "{stem} Kunststofftechnik GmbH",
            "{stem} Präzisionsteile AG",
            "{stem} Verpackungswerk GmbH",
            "{stem} Lebensmittelwerke GmbH",
        ),
        {"compressors": 45, "hvac": 25, "printers": 25, "medical": 5},
        ("Plant 1", "Plant 2", "Warehouse", "Service centre"),
        ("Head of Maintenance", "Plant Manager", "Purchasing", "Facility Manager", "Health & Safety Officer"),
        (_FACTORY_HOURS, _OFFICE_HOURS, _WAREHOUSE_HOURS),
    ),
    Segment(
        "office",
        25,
        (
            "{stem} & Partner Steuerberater",
            "{stem} Rechtsanwälte PartG mbB",
            "{stem} Versicherung AG",
            "{stem} Druck & Medien GmbH",
            "{stem} Immobilien GmbH",
            "{stem} Consulting GmbH",
        ),
        {"printers": 70, "hvac": 30},
        ("Head office", "Branch office", "Print room", "Archive"),
        ("Office Manager", "IT Administrator", "Facility Manager", "Accounts Payable"),
        (_OFFICE_HOURS, _LUNCH_BREAK_HOURS),
    ),
    Segment(
        "logistics",
        20,
        (
            "{stem} Logistik GmbH",
            "{stem} Spedition GmbH & Co. KG",
            "{stem} Handelshaus KG",
            "{stem} Frischmarkt GmbH",
            "{stem} Lagertechnik GmbH",
        ),
        {"printers": 35, "hvac": 30, "compressors": 35},
        ("Distribution centre", "Warehouse", "Store", "Cold store"),
        ("Site Manager", "Head of Maintenance", "Purchasing", "Shift Supervisor"),
        (_WAREHOUSE_HOURS, _SHOP_HOURS),
    ),
)

GROUP_PATTERNS = ("{stem} Holding AG", "{stem} Gruppe SE", "{stem} Unternehmensgruppe GmbH")

ACCESS_NOTES = (
    "Report to gate 2; visitor badge required.",
    "Park in the inner yard and ring at the goods entrance.",
    "Safety shoes and high-visibility vest required in the production halls.",
    "Register at the medical technology department (basement, room U1.12) before starting work.",
    "Key box at reception; the code is available from the facility manager.",
    "Loading dock closes at 15:00; bring your own ladder.",
    "Escort required in the clean room area; allow 15 minutes for gowning.",
    None,
)

BLOCK_REASONS = (
    "Payment overdue more than 90 days",
    "Insolvency proceedings opened",
    "Contract dispute; service manager approval required",
)

CUSTOMER_NOTES = (
    "Key account",
    "Prefers appointments before 10:00",
    "Invoices by e-mail only",
    "Purchase order number required on every invoice",
)

MACHINE_POSITIONS = (
    "Building A, ground floor",
    "Building B, 1st floor",
    "Hall 1",
    "Hall 3",
    "Basement plant room",
    "Roof",
    "Room 0.14",
    "Room 2.07",
    "Reception",
    "Production line 2",
)


# --------------------------------------------------------------------------- products


@dataclass(frozen=True, slots=True)
class ProductSpec:
    sku: str
    name: str
    kind: ProductKind
    family: str
    serialized: bool
    price: str
    unit: str


@dataclass(frozen=True, slots=True)
class CounterSpec:
    name: str
    unit: str
    per_day: float  # typical increase per calendar day
    source: str  # a ReadingSource value


@dataclass(frozen=True, slots=True)
class MachineSpec:
    """How an equipment model shows up in the installed base."""

    sku: str
    family: str
    weight: int  # share within its family
    tree_share: float  # units that carry a serialized controller (and usually a power supply)
    counters: tuple[CounterSpec, ...]


def _equipment(sku: str, name: str, family: str, price: str) -> ProductSpec:
    return ProductSpec(sku, name, ProductKind.EQUIPMENT, family, True, price, "pc")


def _part(sku: str, name: str, family: str, price: str, *, serialized: bool = False) -> ProductSpec:
    return ProductSpec(sku, name, ProductKind.SPARE_PART, family, serialized, price, "pc")


def _consumable(sku: str, name: str, family: str, price: str, unit: str = "pc") -> ProductSpec:
    return ProductSpec(sku, name, ProductKind.CONSUMABLE, family, False, price, unit)


def _service(sku: str, name: str, price: str, unit: str) -> ProductSpec:
    return ProductSpec(sku, name, ProductKind.SERVICE, "services", False, price, unit)


PRODUCTS = (
    _equipment("PRN-2200", "Multifunction printer M2200", "printers", "4900.00"),
    _equipment("PRN-4000", "Production printer P4000", "printers", "68000.00"),
    _equipment("PRN-7500", "Large-format printer W7500", "printers", "24500.00"),
    _equipment("HVAC-SP12", "Split air conditioner SP12 (12 kW)", "hvac", "3800.00"),
    _equipment("HVAC-RT50", "Rooftop unit RT50 (50 kW)", "hvac", "38000.00"),
    _equipment("HVAC-CH200", "Chiller CH200 (200 kW)", "hvac", "112000.00"),
    _equipment("MED-US3", "Ultrasound system US3", "medical", "42000.00"),
    _equipment("MED-XR2", "Digital X-ray system XR2", "medical", "145000.00"),
    _equipment("MED-CT64", "CT scanner CT64 (64-slice)", "medical", "780000.00"),
    _equipment("CMP-P7", "Piston compressor P7 (7.5 kW)", "compressors", "4200.00"),
    _equipment("CMP-S22", "Screw compressor S22 (22 kW)", "compressors", "16500.00"),
    _equipment("CMP-S75", "Screw compressor S75 (75 kW)", "compressors", "48000.00"),
    _part("CTL-PRN", "Printer main controller board", "printers", "1850.00", serialized=True),
    _part("PSU-PRN", "Printer power supply 600 W", "printers", "420.00", serialized=True),
    _part("CTL-HVAC", "HVAC unit controller", "hvac", "2400.00", serialized=True),
    _part("PSU-HVAC", "HVAC control power supply 24 V", "hvac", "310.00", serialized=True),
    _part("CTL-MED", "Imaging system host controller", "medical", "18500.00", serialized=True),
    _part("PSU-MED", "Medical-grade power supply 1.5 kW", "medical", "3900.00", serialized=True),
    _part("CTL-CMP", "Compressor controller", "compressors", "2950.00", serialized=True),
    _part("PSU-CMP", "Compressor control power supply", "compressors", "380.00", serialized=True),
    _part("SP-PRN-FUSER", "Fuser unit", "printers", "380.00"),
    _part("SP-PRN-ROLLER", "Paper feed roller kit", "printers", "45.00"),
    _part("SP-HVAC-FAN", "Condenser fan motor", "hvac", "520.00"),
    _part("SP-HVAC-VALVE", "Electronic expansion valve", "hvac", "210.00"),
    _part("SP-MED-FAN", "Gantry cooling fan", "medical", "640.00"),
    _part("SP-CMP-VALVE", "Intake valve kit", "compressors", "690.00"),
    _part("SP-CMP-BELT", "Drive belt set", "compressors", "85.00"),
    _part("SP-GEN-PT100", "Temperature sensor PT100", "compressors", "65.00"),
    _consumable("CON-PRN-TONER-K", "Toner cartridge black", "printers", "89.00"),
    _consumable("CON-PRN-TONER-C", "Toner cartridge colour", "printers", "119.00"),
    _consumable("CON-HVAC-FILTER", "Air filter set F7", "hvac", "72.00"),
    _consumable("CON-HVAC-R32", "Refrigerant R32", "hvac", "48.00", "kg"),
    _consumable("CON-MED-GEL", "Ultrasound gel 5 l", "medical", "24.00"),
    _consumable("CON-CMP-OIL", "Synthetic compressor oil", "compressors", "18.50", "l"),
    _consumable("CON-CMP-FILTER", "Oil and air filter kit", "compressors", "95.00"),
    _service("SVC-PM", "Preventive maintenance visit", "240.00", "visit"),
    _service("SVC-LABOUR", "Labour hour", "98.00", "h"),
    _service("SVC-TRAVEL", "Travel (per km)", "0.95", "km"),
    _service("SVC-TRAVEL-FLAT", "Travel flat rate", "85.00", "visit"),
    _service("SVC-EMERGENCY", "Emergency call-out surcharge", "150.00", "visit"),
    _service("SVC-DEPOT", "Depot repair flat rate", "450.00", "pc"),
)

_DEVICE = ReadingSource.DEVICE.value
_TECH = ReadingSource.TECHNICIAN.value
_HOURS_DEVICE = CounterSpec("operating_hours", "h", 10.0, _DEVICE)
_HOURS_TECH = CounterSpec("operating_hours", "h", 14.0, _TECH)

MACHINES = (
    MachineSpec("PRN-2200", "printers", 6, 0.1, (CounterSpec("pages", "pc", 250.0, _DEVICE),)),
    MachineSpec("PRN-4000", "printers", 2, 0.7, (CounterSpec("pages", "pc", 9000.0, _DEVICE), _HOURS_DEVICE)),
    MachineSpec("PRN-7500", "printers", 1, 0.4, (CounterSpec("print_area", "m2", 30.0, _DEVICE), _HOURS_DEVICE)),
    MachineSpec("HVAC-SP12", "hvac", 8, 0.0, (CounterSpec("operating_hours", "h", 9.0, _TECH),)),
    MachineSpec("HVAC-RT50", "hvac", 4, 0.5, (_HOURS_TECH, CounterSpec("compressor_starts", "cycles", 40.0, _TECH))),
    MachineSpec("HVAC-CH200", "hvac", 1, 0.8, (_HOURS_TECH, CounterSpec("compressor_starts", "cycles", 25.0, _TECH))),
    MachineSpec("MED-US3", "medical", 5, 0.3, (CounterSpec("operating_hours", "h", 8.0, _TECH),)),
    MachineSpec("MED-XR2", "medical", 3, 0.8, (CounterSpec("exposures", "pc", 60.0, _DEVICE),)),
    MachineSpec("MED-CT64", "medical", 1, 0.95, (_HOURS_DEVICE, CounterSpec("scans", "pc", 35.0, _DEVICE))),
    MachineSpec("CMP-P7", "compressors", 4, 0.0, (CounterSpec("operating_hours", "h", 6.0, _TECH),)),
    MachineSpec("CMP-S22", "compressors", 4, 0.4, (_HOURS_TECH, CounterSpec("load_hours", "h", 9.0, _TECH))),
    MachineSpec("CMP-S75", "compressors", 3, 0.6, (_HOURS_TECH, CounterSpec("load_hours", "h", 12.0, _TECH))),
)

# Serialized components per family: (controller sku, power supply sku).
COMPONENTS = {
    "printers": ("CTL-PRN", "PSU-PRN"),
    "hvac": ("CTL-HVAC", "PSU-HVAC"),
    "medical": ("CTL-MED", "PSU-MED"),
    "compressors": ("CTL-CMP", "PSU-CMP"),
}

_MACHINE_STATUSES = (
    (EquipmentStatus.IN_SERVICE, 92),
    (EquipmentStatus.UNDER_REPAIR, 3),
    (EquipmentStatus.DECOMMISSIONED, 4),
    (EquipmentStatus.RETURNED, 1),
)


# --------------------------------------------------------------------------- engineers

SKILLS = (
    "electrical",
    "hydraulics",
    "pneumatics",
    "hvac",
    "refrigeration",
    "printer",
    "medical_imaging",
    "networking",
    "plc",
)

# The skills a task on equipment of a family asks for, the most important first.
FAMILY_SKILLS = {
    "printers": ("printer", "networking"),
    "hvac": ("hvac", "refrigeration", "electrical"),
    "medical": ("medical_imaging", "electrical"),
    "compressors": ("pneumatics", "electrical", "plc"),
}

# (name, validity in years, family it belongs to or None for everyone)
CERTIFICATIONS = (
    ("Electrical safety DGUV V3", 3, None),
    ("Working at height", 2, None),
    ("First aid", 2, None),
    ("F-gas category I (EU 2015/2067)", 5, "hvac"),
    ("Radiation protection expertise (StrlSchV)", 5, "medical"),
    ("Medical device technician (MPBetreibV)", 3, "medical"),
    ("Pressure equipment competence (BetrSichV)", 4, "compressors"),
    ("PLC programming (IEC 61131-3)", 4, "compressors"),
    ("Production printer service level 2", 2, "printers"),
)

# (weight, weekdays, starts, ends): weekly working patterns in the engineer's time zone.
Shift = tuple[int, tuple[int, ...], dt.time, dt.time]
SHIFTS: tuple[Shift, ...] = (
    (50, (0, 1, 2, 3, 4), dt.time(8), dt.time(17)),
    (25, (0, 1, 2, 3, 4), dt.time(7), dt.time(16)),
    (15, (1, 2, 3, 4, 5), dt.time(8), dt.time(17)),
    (5, (0, 1, 2, 3), dt.time(8), dt.time(13)),
    (5, (0, 2, 4), dt.time(8), dt.time(16, 30)),
)

# (reason, shortest, longest) in days
ABSENCES = (("vacation", 3, 10), ("training", 1, 3), ("sick leave", 1, 4))


# --------------------------------------------------------------------------- public API


async def database_is_empty(session: AsyncSession) -> bool:
    """True when there are no customers and no users (demo data may be loaded)."""
    customer = await session.scalar(select(Customer.id).limit(1))
    user = await session.scalar(select(User.id).limit(1))
    return customer is None and user is None


async def load_demo_data(
    session: AsyncSession, size: DemoSize = DemoSize(), progress: Progress | None = None
) -> DemoSummary:
    """Fill an empty database with demo data of `size`; flushes but does not commit."""
    if size.customers < 1 or size.engineers < 1 or size.equipment < 0:
        raise ValueError("demo data needs at least one customer and one engineer")
    if not await database_is_empty(session):
        raise ValueError("demo data can only be loaded into an empty database")
    loader = _Loader(session, size, progress or _no_progress)
    return await loader.run()


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


# --------------------------------------------------------------------------- the loader


@dataclass(slots=True)
class _SitePlan:
    id: UUID
    weight: float


@dataclass(slots=True)
class _CustomerPlan:
    id: UUID
    segment: Segment
    city: City
    region: str
    is_group: bool
    parent_id: UUID | None
    domain: str = ""
    sites: list[_SitePlan] = field(default_factory=list)


@dataclass(slots=True)
class _Batch:
    """Installed-base rows waiting for the next chunked insert, parents before children."""

    equipment: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    counters: list[tuple[Any, ...]] = field(default_factory=list)
    readings: list[tuple[Any, ...]] = field(default_factory=list)


class _Loader:
    def __init__(self, session: AsyncSession, size: DemoSize, progress: Progress) -> None:
        self.session = session
        self.size = size
        self.progress = progress
        self.rng = random.Random(size.seed)
        self.now = dt.datetime.now(dt.UTC)
        self.products: dict[str, UUID] = {}
        self.customers: list[_CustomerPlan] = []
        self.names_taken: set[str] = set()
        self.group_stems: set[str] = set()
        self.serials: dict[str, int] = {}
        self.serial_width = max(6, len(str(size.equipment)))
        self.counts: dict[str, int] = dict.fromkeys(
            ("customers", "sites", "contacts", "products", "equipment", "counters", "readings", "engineers", "users"), 0
        )
        self.counts["knowledge_codes"] = 0

    async def run(self) -> DemoSummary:
        await self._load_products()
        await self._load_customers()
        await self._load_contacts()
        await self._load_sites()
        engineers = self._plan_engineers()
        technician_user = await self._load_users(engineers[0]["name"])
        engineers[0]["user_id"] = technician_user
        await self._load_engineers(engineers)
        await self._load_equipment()
        await self._load_knowledge_codes()
        await self.session.flush()
        return DemoSummary(**self.counts)

    async def _load_knowledge_codes(self) -> None:
        rows = [{**self._versioned(), **row, "active": True} for row in knowledge_code_rows()]
        await self._insert(KnowledgeCode, rows)
        self.counts["knowledge_codes"] = len(rows)

    # ------------------------------------------------------------------ plumbing

    def _entity(self) -> Row:
        return {"id": uuid7(), "created_at": self.now, "updated_at": self.now}

    def _versioned(self) -> Row:
        return {"id": uuid7(), "created_at": self.now, "updated_at": self.now, "version": 1}

    async def _insert(self, model: type[Any], rows: list[Row], stage: str | None = None) -> None:
        table = cast(Table, model.__table__)
        for start in range(0, len(rows), _CHUNK):
            await self.session.execute(table.insert(), rows[start : start + _CHUNK])
            if stage:
                self.progress(stage, min(start + _CHUNK, len(rows)), len(rows))

    def _pick_city(self, region: str) -> City:
        cities = REGIONS[region]
        return self.rng.choices(cities, weights=[c.weight for c in cities])[0]

    def _address(self, city: City) -> tuple[str, str]:
        number = self.rng.randint(1, 180)
        suffix = self.rng.choice(("", "", "", "", "a", "b"))
        postal = city.postal_code + self.rng.randrange(0, 40 * city.weight)
        return f"{self.rng.choice(STREETS)} {number}{suffix}", f"{postal:05d}"

    def _jitter(self, city: City, km: float) -> tuple[float, float]:
        # One degree of latitude is ~111 km; a degree of longitude in Germany ~70 km.
        lat = city.latitude + self.rng.uniform(-km, km) / 111.0
        lon = city.longitude + self.rng.uniform(-km, km) / 70.0
        return round(lat, 6), round(lon, 6)

    def _phone(self, area_code: str) -> str:
        return f"+49 {area_code} {self.rng.randint(100000, 9999999)}"

    def _mobile(self) -> str:
        return f"+49 1{self.rng.choice(('51', '52', '60', '70', '71', '76'))} {self.rng.randint(1000000, 99999999)}"

    def _person(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    # ------------------------------------------------------------------ products

    async def _load_products(self) -> None:
        rows = []
        for spec in PRODUCTS:
            row = self._versioned() | {
                "sku": spec.sku,
                "name": spec.name,
                "kind": spec.kind.value,
                "family": spec.family,
                "serialized": spec.serialized,
                "list_price": Decimal(spec.price),
                "currency": CURRENCY,
                "unit": spec.unit,
                "active": True,
            }
            self.products[spec.sku] = row["id"]
            rows.append(row)
        await self._insert(Product, rows, "products")
        self.counts["products"] = len(rows)

    # ------------------------------------------------------------------ customers

    async def _load_customers(self) -> None:
        shapes = self._customer_shapes()
        numbers = await next_numbers(self.session, "customer", self.size.customers)
        rows: list[Row] = []
        for subsidiaries in shapes:
            if subsidiaries:
                rows.extend(self._group_rows(subsidiaries))
            else:
                rows.append(self._customer_row(self._plan_customer(None)))
        for row, number in zip(rows, numbers, strict=True):
            row["number"] = number
        self._block_some(rows)
        await self._insert(Customer, rows, "customers")
        self.counts["customers"] = len(rows)

    def _customer_shapes(self) -> list[int]:
        """Per top-level customer, its number of subsidiaries (0: a standalone customer)."""
        total = self.size.customers
        shapes: list[int] = []
        remaining = total
        for _ in range(max(1, total // 10)):
            if remaining < 3:
                break
            subsidiaries = min(self.rng.randint(2, 5), remaining - 1)
            shapes.append(subsidiaries)
            remaining -= subsidiaries + 1
        shapes.extend([0] * remaining)
        self.rng.shuffle(shapes)
        return shapes

    def _plan_customer(self, parent: _CustomerPlan | None, *, is_group: bool = False) -> _CustomerPlan:
        segment = self.rng.choices(SEGMENTS, weights=[s.weight for s in SEGMENTS])[0]
        # Half of a group's subsidiaries sit in the group's region, the rest anywhere.
        near_parent = parent is not None and self.rng.random() < 0.5
        region = parent.region if parent and near_parent else self.rng.choice(tuple(REGIONS))
        plan = _CustomerPlan(
            id=uuid7(),
            segment=segment,
            city=self._pick_city(region),
            region=region,
            is_group=is_group,
            parent_id=parent.id if parent else None,
        )
        self.customers.append(plan)
        return plan

    def _group_rows(self, subsidiaries: int) -> list[Row]:
        group = self._plan_customer(None, is_group=True)
        # Each group's name is its own; its subsidiaries carry it on.
        stem = next(stem for n in range(1000) if (stem := self._stem(double=n >= 2)) not in self.group_stems)
        self.group_stems.add(stem)
        rows = [self._customer_row(group, self.rng.choice(GROUP_PATTERNS), stem)]
        for _ in range(subsidiaries):
            rows.append(self._customer_row(self._plan_customer(group), stem=stem))
        return rows

    def _customer_row(self, plan: _CustomerPlan, pattern: str | None = None, stem: str | None = None) -> Row:
        name = self._company_name(plan, pattern, stem)
        plan.domain = _domain(name)
        return self._versioned() | {
            "id": plan.id,
            "name": name,
            "parent_id": plan.parent_id,
            "status": CustomerStatus.ACTIVE.value,
            "blocked_reason": None,
            "email": f"info@{plan.domain}",
            "phone": self._phone(plan.city.area_code),
            "country": COUNTRY,
            "notes": self.rng.choice(CUSTOMER_NOTES) if self.rng.random() < 0.15 else None,
        }

    def _company_name(self, plan: _CustomerPlan, pattern: str | None, stem: str | None) -> str:
        # Real registers have namesakes too, but a demo is easier to follow with unique names.
        # Double-barrelled stems (Müller-Schmidt, Rhein-Main) leave room for tens of thousands.
        for attempt in range(8):
            name = (pattern or self.rng.choice(plan.segment.name_patterns)).format(
                stem=stem or self._stem(double=attempt >= 2), city=plan.city.name, saint=self.rng.choice(SAINTS)
            )
            if name not in self.names_taken:
                break
        else:
            name = _unique(f"{name} ({plan.city.name})", self.names_taken, " ")
        self.names_taken.add(name)
        return name

    def _stem(self, *, double: bool = False) -> str:
        first = self.rng.choice(COMPANY_STEMS)
        return f"{first}-{self.rng.choice(COMPANY_STEMS)}" if double else first

    def _block_some(self, rows: list[Row]) -> None:
        candidates = [row for row, plan in zip(rows, self.customers, strict=True) if not plan.is_group]
        # One in fifty: a few at the default size, none in tiny test loads.
        for row in self.rng.sample(candidates, min(len(candidates), len(rows) // 50)):
            row["status"] = CustomerStatus.BLOCKED.value
            row["blocked_reason"] = self.rng.choice(BLOCK_REASONS)

    # ------------------------------------------------------------------ contacts and sites

    async def _load_contacts(self) -> None:
        rows: list[Row] = []
        for plan in self.customers:
            for index in range(self.rng.choice((1, 1, 2, 2, 3))):
                rows.append(self._contact_row(plan, index))
        await self._insert(Contact, rows, "contacts")
        self.counts["contacts"] = len(rows)

    def _contact_row(self, plan: _CustomerPlan, index: int) -> Row:
        first, last = self._person()
        phone = self._phone(plan.city.area_code) if self.rng.random() < 0.7 else self._mobile()
        return self._versioned() | {
            "customer_id": plan.id,
            "first_name": first,
            "last_name": last,
            "email": f"{_ascii(first)}.{_ascii(last)}@{plan.domain}",
            "phone": phone,
            "role": self.rng.choice(plan.segment.contact_roles),
            "is_primary": index == 0,
        }

    async def _load_sites(self) -> None:
        rows: list[Row] = []
        for plan in self.customers:
            for index in range(self.rng.choices((1, 2, 3), weights=(55, 30, 15))[0]):
                rows.append(self._site_row(plan, index))
        await self._insert(Site, rows, "sites")
        self.counts["sites"] = len(rows)

    def _site_row(self, plan: _CustomerPlan, index: int) -> Row:
        if index == 0:
            region, city = plan.region, plan.city
        else:
            region = plan.region if self.rng.random() < 0.7 else self.rng.choice(tuple(REGIONS))
            city = self._pick_city(region)
        labels = plan.segment.site_labels
        label = labels[0] if index == 0 else self.rng.choice(labels[1:])
        street, postal = self._address(city)
        latitude, longitude = self._jitter(city, 4.0)
        row = self._versioned() | {
            "customer_id": plan.id,
            "name": f"{label} {city.name}",
            "street": street,
            "postal_code": postal,
            "city": city.name,
            "subdivision": city.subdivision,
            "country": COUNTRY,
            "latitude": latitude,
            "longitude": longitude,
            "time_zone": TIME_ZONE,
            "territory": region,  # the engineers' territories are the same region names
            "access_notes": self.rng.choice(ACCESS_NOTES),
            "opening_hours": self.rng.choice(plan.segment.opening_hours),
        }
        # The main site holds most of the customer's installed base.
        plan.sites.append(_SitePlan(row["id"], 3.0 if index == 0 else 1.0))
        return row

    # ------------------------------------------------------------------ users

    async def _load_users(self, technician_name: str) -> UUID:
        """One user per role, password "demo"; answers the technician's user id."""
        password_hash = hash_password(DEMO_PASSWORD)
        # A group shows off the portal's view of a customer hierarchy; tiny sizes may have none.
        portal_customer = next((plan.id for plan in self.customers if plan.is_group), self.customers[0].id)
        rows = []
        for role in Role:
            label = role.value.replace("_", " ").title()
            rows.append(
                self._versioned()
                | {
                    "username": role.value,
                    "password_hash": password_hash,
                    "role": role.value,
                    "display_name": technician_name if role is Role.TECHNICIAN else f"Demo {label}",
                    "email": f"{role.value}@{STAFF_DOMAIN}",
                    "customer_id": portal_customer if role is Role.CUSTOMER else None,
                    "active": True,
                }
            )
        await self._insert(User, rows, "users")
        self.counts["users"] = len(rows)
        technician_id: UUID = next(row["id"] for row in rows if row["role"] == Role.TECHNICIAN.value)
        return technician_id

    # ------------------------------------------------------------------ engineers

    def _plan_engineers(self) -> list[Row]:
        regions = tuple(REGIONS)
        emails: set[str] = set()
        rows = []
        for index in range(self.size.engineers):
            region = regions[index % len(regions)]
            city = self._pick_city(region)
            first, last = self._person()
            street, postal = self._address(city)
            latitude, longitude = self._jitter(city, 8.0)
            rate = Decimal(self.rng.randrange(5500, 9501, 50)) / 100
            rows.append(
                self._versioned()
                | {
                    "name": f"{first} {last}",
                    "user_id": None,
                    "email": _unique(f"{_ascii(first)}.{_ascii(last)}", emails) + f"@{STAFF_DOMAIN}",
                    "phone": self._mobile(),
                    "home_latitude": latitude,
                    "home_longitude": longitude,
                    "home_address": f"{street}, {postal} {city.name}",
                    "territory": region,
                    "time_zone": TIME_ZONE,
                    "cost_rate": rate,
                    "currency": CURRENCY,
                    "active": True,
                }
            )
        return rows

    async def _load_engineers(self, engineers: list[Row]) -> None:
        numbers = await next_numbers(self.session, "engineer", len(engineers))
        families = tuple(FAMILY_SKILLS)
        skills: list[Row] = []
        certifications: list[Row] = []
        hours: list[Row] = []
        absences: list[Row] = []
        for index, (row, number) in enumerate(zip(engineers, numbers, strict=True)):
            row["number"] = number
            # Cycling the main family against the three regions covers every family in every region.
            family = families[index % len(families)]
            skills.extend(self._skill_rows(row["id"], family))
            certifications.extend(self._certification_rows(row["id"], family))
            # The demo technician (the first engineer) works a plain day shift, so its day looks full.
            hours.extend(self._working_hour_rows(row["id"], SHIFTS[0] if index == 0 else None))
            absences.extend(self._absence_rows(row["id"]))
        await self._insert(Engineer, engineers, "engineers")
        await self._insert(EngineerSkill, skills)
        await self._insert(Certification, certifications)
        await self._insert(WorkingHours, hours)
        await self._insert(Absence, absences)
        self.counts["engineers"] = len(engineers)

    def _skill_rows(self, engineer_id: UUID, family: str) -> list[Row]:
        main, *related = FAMILY_SKILLS[family]
        levels = {main: self.rng.randint(3, 5)}
        for skill in related:
            levels[skill] = self.rng.randint(2, 4)
        for skill in self.rng.sample(SKILLS, self.rng.randint(0, 2)):
            levels.setdefault(skill, self.rng.randint(1, 3))
        return [
            self._entity() | {"engineer_id": engineer_id, "skill": skill, "level": level}
            for skill, level in levels.items()
        ]

    def _certification_rows(self, engineer_id: UUID, family: str) -> list[Row]:
        eligible = [c for c in CERTIFICATIONS if c[2] in (None, family)]
        rows = []
        for name, years, _family in self.rng.sample(eligible, self.rng.choice((0, 1, 1, 2, 2, 3))):
            # Issued up to eight months more than its validity back: most are current, some expired.
            issued = REFERENCE_DATE - dt.timedelta(days=self.rng.randint(30, years * 365 + 240))
            expires = issued + dt.timedelta(days=365 * years)
            rows.append(
                self._entity() | {"engineer_id": engineer_id, "name": name, "issued_on": issued, "expires_on": expires}
            )
        return rows

    def _working_hour_rows(self, engineer_id: UUID, shift: Shift | None) -> list[Row]:
        if shift is None:
            shift = self.rng.choices(SHIFTS, weights=[s[0] for s in SHIFTS])[0]
        _weight, weekdays, starts, ends = shift
        return [
            self._entity() | {"engineer_id": engineer_id, "weekday": day, "starts": starts, "ends": ends}
            for day in weekdays
        ]

    def _absence_rows(self, engineer_id: UUID) -> list[Row]:
        if self.rng.random() >= 0.4:
            return []
        rows = []
        day = REFERENCE_DATE - dt.timedelta(days=self.rng.randint(0, 30))
        for _ in range(self.rng.randint(1, 2)):
            reason, shortest, longest = self.rng.choice(ABSENCES)
            first = day + dt.timedelta(days=self.rng.randint(0, 30))
            after_last = first + dt.timedelta(days=self.rng.randint(shortest, longest))
            rows.append(
                self._entity()
                | {
                    "engineer_id": engineer_id,
                    "starts_at": _local_midnight(first),
                    "ends_at": _local_midnight(after_last),
                    "reason": reason,
                }
            )
            day = after_last + dt.timedelta(days=7)
        return rows

    # ------------------------------------------------------------------ installed base

    async def _load_equipment(self) -> None:
        total = self.size.equipment
        writes = _BackgroundWrites(self.session)
        batch = _Batch()
        done = machines = 0
        try:
            for plan, units in zip(self.customers, self._allocate_equipment(), strict=True):
                sites = [site.id for site in plan.sites]
                site_weights = _cumulative(site.weight for site in plan.sites)
                while units > 0:
                    site_id = _pick(sites, site_weights, self.rng.random())
                    used = self._add_machine(batch, plan, site_id, units)
                    units -= used
                    done += used
                    machines += 1
                    if len(batch.equipment) >= _CHUNK:
                        await self._submit(writes, batch)
                        batch = _Batch()
                        self.progress("equipment", done, total)
                    elif machines % 32 == 0:
                        await writes.pause()
            await self._submit(writes, batch)
        finally:
            await writes.wait()
        self.progress("equipment", done, total)

    def _allocate_equipment(self) -> list[int]:
        """Units per customer: skewed like a real customer base, summing to the requested total."""
        weights = [0.2 if plan.is_group else self.rng.lognormvariate(0.0, 0.9) for plan in self.customers]
        scale = self.size.equipment / sum(weights)
        shares = [weight * scale for weight in weights]
        counts = [int(share) for share in shares]
        # Largest remainders get the units the rounding down left over.
        by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
        for i in by_remainder[: self.size.equipment - sum(counts)]:
            counts[i] += 1
        return counts

    async def _submit(self, writes: _BackgroundWrites, batch: _Batch) -> None:
        await writes.submit(batch)
        self.counts["equipment"] += len(batch.equipment)
        self.counts["counters"] += len(batch.counters)
        self.counts["readings"] += len(batch.readings)

    def _add_machine(self, batch: _Batch, plan: _CustomerPlan, site_id: UUID, units_left: int) -> int:
        """A top-level unit, its counters and maybe a component tree; answers the units used."""
        rand = self.rng.random
        family = _pick(*_SEGMENT_FAMILIES[plan.segment.name], rand())
        spec = _pick(*_MACHINES_BY_FAMILY[family], rand())
        installed = REFERENCE_DATE - dt.timedelta(days=30 + int(rand() * 9 * 365))
        shipped = installed - dt.timedelta(days=2 + int(rand() * 44))
        status = _pick(*_STATUSES, rand())
        unit = _Unit(plan.id, site_id, installed, shipped, status)
        machine_id = self._add_unit(batch, unit, spec.sku, None, _pick(*_POSITIONS, rand()))
        self._add_counters(batch, machine_id, spec, installed)
        used = 1
        if used < units_left and rand() < spec.tree_share:
            # Parts of a machine in the workshop keep running in it; those of a dead one are dead too.
            if status == _UNDER_REPAIR:
                unit = unit._replace(status=_IN_SERVICE)
            controller_sku, supply_sku = COMPONENTS[family]
            controller_id = self._add_unit(batch, unit, controller_sku, machine_id, "controller")
            used += 1
            if used < units_left and rand() < 0.8:
                self._add_unit(batch, unit, supply_sku, controller_id, "power supply")
                used += 1
        return used

    def _add_unit(self, batch: _Batch, unit: _Unit, sku: str, parent_id: Id | None, position: str) -> Id:
        """One equipment row (see _EQUIPMENT_COLUMNS) and its "created" event; answers its id."""
        equipment_id, now = uuid_utils.uuid7(), self.now
        value = self.serials.get(sku, 0) + 1
        self.serials[sku] = value
        serial = f"{sku}-{value:0{self.serial_width}d}"
        batch.equipment.append((
            equipment_id, self.products[sku], serial, unit.customer_id, unit.site_id, parent_id, position,
            unit.installed, unit.shipped, unit.status, 1, now, now,
        ))  # fmt: skip
        # Shaped like the event the equipment service records; the unit entered the installed
        # base when it was shipped.
        at = dt.datetime.combine(unit.shipped, _EVENT_TIME)
        batch.events.append((uuid_utils.uuid7(), equipment_id, at, _CREATED, ACTOR, unit.site_id, now, now))
        return equipment_id

    def _add_counters(self, batch: _Batch, equipment_id: Id, spec: MachineSpec, installed: dt.date) -> None:
        span = (REFERENCE_DATE - installed).days
        for counter in spec.counters:
            counter_id = uuid_utils.uuid7()
            batch.counters.append((counter_id, equipment_id, counter.name, counter.unit, self.now, self.now))
            self._add_readings(batch, counter_id, counter, installed, span)

    def _add_readings(self, batch: _Batch, counter_id: Id, spec: CounterSpec, installed: dt.date, span: int) -> None:
        """Two to four readings between installation and the reference date (see _READING_COLUMNS)."""
        rand, now = self.rng.random, self.now
        days = sorted({1 + int(rand() * (span - 1)) for _ in range(2 + int(rand() * 3))})
        value = 0
        for day in days:
            # Usage varies, but a reading never goes below the one before it.
            value = max(value + 1, int(spec.per_day * day * (0.6 + 0.8 * rand())))
            read_at = dt.datetime.combine(installed + dt.timedelta(days=day), _READING_TIMES[int(rand() * 11)])
            batch.readings.append((
                uuid_utils.uuid7(), counter_id, Decimal(value), read_at, spec.source, _REGULAR, ACTOR, now, now,
            ))  # fmt: skip


# The installed base is written as tuples in these column orders: at a million units, dicts and
# SQLAlchemy's per-value type processing cost more than the database itself. Columns left out are NULL.
_EQUIPMENT_COLUMNS = (
    "id", "product_id", "serial_number", "customer_id", "site_id", "parent_id", "position",
    "install_date", "ship_date", "status", "version", "created_at", "updated_at",
)  # fmt: skip
_EVENT_COLUMNS = ("id", "equipment_id", "at", "kind", "actor_name", "to_site_id", "created_at", "updated_at")
_COUNTER_COLUMNS = ("id", "equipment_id", "name", "unit", "created_at", "updated_at")
_READING_COLUMNS = (
    "id", "counter_id", "value", "read_at", "source", "kind", "recorded_by", "created_at", "updated_at",
)  # fmt: skip

_CREATED = EquipmentEventKind.CREATED.value
_IN_SERVICE = EquipmentStatus.IN_SERVICE.value
_UNDER_REPAIR = EquipmentStatus.UNDER_REPAIR.value
_REGULAR = ReadingKind.REGULAR.value
_EVENT_TIME = dt.time(9, tzinfo=dt.UTC)
_READING_TIMES = tuple(dt.time(hour, tzinfo=dt.UTC) for hour in range(6, 17))


class _Unit(NamedTuple):
    """What a machine and its components share."""

    customer_id: Id
    site_id: Id
    installed: dt.date
    shipped: dt.date
    status: str


def _cumulative(weights: Iterable[float]) -> tuple[float, ...]:
    return tuple(accumulate(weights))


def _weighted(choices: Iterable[tuple[T, float]]) -> tuple[tuple[T, ...], tuple[float, ...]]:
    items, weights = zip(*choices, strict=True)
    return items, _cumulative(weights)


def _pick(items: Sequence[T], cumulative: Sequence[float], r: float) -> T:
    """The item a uniform draw `r` in [0, 1) lands on; `Random.choices` without its per-call overhead."""
    return items[bisect(cumulative, r * cumulative[-1], 0, len(items) - 1)]


_SEGMENT_FAMILIES = {segment.name: _weighted(segment.families.items()) for segment in SEGMENTS}
_MACHINES_BY_FAMILY = {
    family: _weighted((m, m.weight) for m in MACHINES if m.family == family) for family in COMPONENTS
}
_STATUSES = _weighted((status.value, weight) for status, weight in _MACHINE_STATUSES)
_POSITIONS = _weighted((position, 1) for position in MACHINE_POSITIONS)


class _BackgroundWrites:
    """Writes one batch in a background task while the loader builds the next.

    SQLite works in aiosqlite's thread without holding the GIL and PostgreSQL in its own
    process, so building and writing overlap. One batch at most is in flight: the session has
    a single connection, and memory stays bounded.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.writer = _BulkWriter(session)
        self.task: asyncio.Task[None] | None = None

    async def submit(self, batch: _Batch) -> None:
        await self.wait()
        self.task = asyncio.create_task(self._write(batch))
        await asyncio.sleep(0)  # let the write reach the database before building goes on

    async def pause(self) -> None:
        # Building never awaits on its own; this hands the loop to the write for its next statement.
        if self.task is not None:
            await asyncio.sleep(0)

    async def wait(self) -> None:
        if self.task is not None:
            task, self.task = self.task, None
            await task

    async def _write(self, batch: _Batch) -> None:
        await self.writer.write(Equipment, _EQUIPMENT_COLUMNS, batch.equipment)
        await self.writer.write(EquipmentEvent, _EVENT_COLUMNS, batch.events)
        await self.writer.write(Counter, _COUNTER_COLUMNS, batch.counters)
        await self.writer.write(CounterReading, _READING_COLUMNS, batch.readings)


class _BulkWriter:
    """Inserts rows given as tuples of Python values, past SQLAlchemy's per-value type processing.

    PostgreSQL takes them by COPY (asyncpg encodes Python values natively). SQLite takes them by
    executemany, each column converted by its type's own SQLAlchemy bind processor, so the stored
    form is exactly what the ORM would store; only UUIDs, never repeated, are turned into their
    16 bytes directly. Both go through the session's connection, inside its transaction.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._encoders: dict[tuple[str, tuple[str, ...]], list[ColumnEncoder | None]] = {}

    async def write(self, model: type[Any], columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        table = cast(Table, model.__table__)
        connection = await self.session.connection()
        if connection.dialect.name == "postgresql":
            # Straight to asyncpg, inside the transaction SQLAlchemy opened on this connection
            # (the loader has written through it before, so the transaction has begun).
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.copy_records_to_table(table.name, records=rows, columns=columns)
            return
        # Column by column, so that the per-value work runs in C (map, zip) wherever it can.
        values: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for index, encode in enumerate(self._encoders_for(table, columns, connection.dialect)):
            if encode is not None:
                values[index] = encode(values[index])
        encoded = list(zip(*values, strict=True))
        # Multi-row INSERTs: row by row, SQLite pays for the CHECK constraints' IN lists on
        # every row, which doubles the time (measured). All full statements go in one executemany.
        per_statement = min(500, connection.dialect.insertmanyvalues_max_parameters // len(columns))
        full = len(encoded) - len(encoded) % per_statement
        for start, stop, rows_per in ((0, full, per_statement), (full, len(encoded), len(encoded) - full)):
            if stop > start:
                params = [tuple(chain.from_iterable(encoded[i : i + rows_per])) for i in range(start, stop, rows_per)]
                await connection.exec_driver_sql(_multi_row_insert(table.name, columns, rows_per), params)

    def _encoders_for(self, table: Table, columns: tuple[str, ...], dialect: Dialect) -> list[ColumnEncoder | None]:
        key = (table.name, columns)
        if key not in self._encoders:
            self._encoders[key] = [_sqlite_encoder(table.c[name], dialect) for name in columns]
        return self._encoders[key]


@cache
def _multi_row_insert(table: str, columns: tuple[str, ...], rows: int) -> str:
    one_row = f"({', '.join('?' * len(columns))})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one_row] * rows)}"


def _sqlite_encoder(column: Column[Any], dialect: Dialect) -> ColumnEncoder | None:
    if isinstance(column.type, GUID):
        # What advanced_alchemy's GUID stores on SQLite: the 16 raw bytes.
        return _nullable_uuid_bytes if column.nullable else _uuid_bytes
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    return _Memo(process).encode


def _uuid_bytes(values: Sequence[Id]) -> list[bytes]:
    return list(map(_BYTES, values))


def _nullable_uuid_bytes(values: Sequence[Id | None]) -> list[bytes | None]:
    return [None if value is None else value.bytes for value in values]


_BYTES = attrgetter("bytes")


class _Memo(dict[Any, Any]):
    """A bind processor's results by value: dates, timestamps and counter values repeat a lot."""

    def __init__(self, process: Callable[[Any], Any]) -> None:
        super().__init__()
        self.process = process

    def __missing__(self, value: Any) -> Any:
        self[value] = encoded = self.process(value)
        return encoded

    def encode(self, values: Sequence[Any]) -> list[Any]:
        if len(self) > 200_000:
            self.clear()
        return list(map(self.__getitem__, values))


# --------------------------------------------------------------------------- helpers

_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def _ascii(text: str) -> str:
    """A name as it appears in an e-mail address: Müller -> mueller."""
    return "".join(ch for ch in text.translate(_ASCII).lower() if ch.isalnum() or ch == "-")


def _domain(company: str) -> str:
    words = [_ascii(word) for word in company.split() if word[:1].isalpha() and word not in {"GmbH", "AG", "KG", "SE"}]
    return "-".join(w for w in words[:2] if w) + f".{CUSTOMER_TLD}"


def _unique(name: str, taken: set[str], separator: str = "") -> str:
    """`name`, or name2, name3 … when taken (two engineers called Anna Müller)."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}{separator}{n}"
    taken.add(candidate)
    return candidate


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), _BERLIN).astimezone(dt.UTC)


# --------------------------------------------------------------------------- knowledge codes

# The symptom and resolution catalogue agents and technicians pick from: (code, description,
# product family or None for any product, guidance). The same every load: no randomness.
SYMPTOM_CODES: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("NO_POWER", "Unit does not power on", None, "Check the mains supply and fuse before sending an engineer."),
    ("ERROR_CODE", "Unit shows an error code", None, "Ask for the exact code on the display."),
    ("NOISE", "Unusual noise or vibration", None, None),
    ("LEAK", "Fluid or gas leak", None, "Ask the customer to switch the unit off if it is safe to do so."),
    ("E-STOP", "Emergency stop tripped, will not reset", None, "Never advise bypassing the stop circuit."),
    ("INTERMITTENT", "Fault comes and goes", None, None),
    ("PAPER_JAM", "Paper jams repeatedly", "printers", "Ask which tray and whether the jam is at the fuser."),
    ("POOR_PRINT", "Streaks, smears or faded print", "printers", "A cleaning page or toner change often helps."),
    ("TONER_EMPTY", "Toner or drum end of life reported", "printers", "Usually a consumables order, not a visit."),
    ("NETWORK_LOST", "Not reachable on the network", "printers", None),
    ("NO_COOLING", "Does not cool", "hvac", "Ask for the set point and the room temperature."),
    ("NO_HEATING", "Does not heat", "hvac", None),
    ("ICING", "Ice on the evaporator coil", "hvac", None),
    ("REFRIGERANT_ALARM", "Refrigerant pressure alarm", "hvac", "F-gas certified engineer required."),
    ("IMAGE_ARTEFACT", "Artefacts in the image", "medical", "Book a medical imaging engineer; check QA phantom."),
    ("TUBE_FAULT", "X-ray tube or generator fault", "medical", None),
    ("PRESSURE_LOW", "Output pressure too low", "compressors", None),
    ("OVERHEATING", "Compressor overheats and trips", "compressors", "Check the intake filter and ventilation."),
    ("OIL_CARRYOVER", "Oil in the compressed air", "compressors", None),
)
RESOLUTION_CODES: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("REPLACED_PART", "Replaced a faulty part", None, "Record the part and serials in the confirmation."),
    ("ADJUSTED", "Adjusted or recalibrated", None, None),
    ("CLEANED", "Cleaned", None, None),
    ("FIRMWARE_UPDATE", "Updated the firmware or software", None, None),
    ("RESET", "Reset the unit or its controller", None, None),
    ("NO_FAULT_FOUND", "No fault found", None, "Counts against first-time fix if the customer calls again."),
    ("ADVICE", "Solved by advice on the phone", None, None),
    ("CUSTOMER_FIXED", "The customer fixed it", None, None),
    ("OPERATOR_ERROR", "Operating error; the customer was shown how", None, None),
    ("REPLACED_FUSER", "Replaced the fuser unit", "printers", None),
    ("REPLACED_ROLLER", "Replaced pick-up or feed rollers", "printers", None),
    (
        "REFRIGERANT_RECHARGED",
        "Leak sealed and refrigerant recharged",
        "hvac",
        "Log the quantity for the F-gas record.",
    ),
    ("RECALIBRATED_DETECTOR", "Detector recalibrated and QA passed", "medical", None),
    ("REPLACED_FILTER", "Replaced the intake or oil filter", "compressors", None),
)


def knowledge_code_rows() -> list[dict[str, Any]]:
    """The demo catalogue as rows of `knowledge_codes` (without ids and timestamps)."""
    return [
        {"kind": kind, "code": code, "description": description, "product_family": family, "guidance": guidance}
        for kind, codes in (("symptom", SYMPTOM_CODES), ("resolution", RESOLUTION_CODES))
        for code, description, family, guidance in codes
    ]
