"""The demo hospital's patients: a few hundred generated people, the Synthea patients
when the shared test data is on this machine, and a handful of planted duplicates
(a typo, swapped names, a changed phone) for the records officer's worklist.

The generator is seeded, so every demo has the same patients; it goes through the bulk
import (hms.patients.importing) like any other source, which keeps `hms demo` fast and
makes a second run skip what the first loaded.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from hms.core.models import Facility
from hms.interop.fhir.importer import FhirSource
from hms.patients.importing import ImportReport, SourceRow, import_patients
from hms.patients.inputs import ContactInput, IdentifierInput, PatientInput

SEED = 2026
GENERATED = 320
SYNTHEA = Path(settings.BASE_DIR).parents[2] / "shared" / "testdata" / "synthea-r4-smart-on-fhir"

# (given names female, given names male, family names, language) by community.
COMMUNITIES = [
    (
        ["Wanjiru", "Njeri", "Wambui", "Nyambura", "Wanjiku", "Muthoni", "Wairimu", "Mumbi"],
        ["Kamau", "Mwangi", "Njoroge", "Kariuki", "Githinji", "Macharia", "Waweru", "Kimani"],
        ["Kamau", "Mwangi", "Njoroge", "Kariuki", "Wainaina", "Gitau", "Ndungu", "Maina"],
        "ki",
    ),
    (
        ["Achieng", "Akinyi", "Atieno", "Adhiambo", "Awuor", "Anyango", "Auma", "Apiyo"],
        ["Otieno", "Ochieng", "Omondi", "Odhiambo", "Onyango", "Owino", "Oduor", "Okoth"],
        ["Otieno", "Ochieng", "Omondi", "Odhiambo", "Onyango", "Owino", "Ouma", "Okello"],
        "luo",
    ),
    (
        ["Nafula", "Nekesa", "Naliaka", "Nasimiyu", "Makokha", "Khisa", "Wafula", "Barasa"],
        ["Wafula", "Wekesa", "Barasa", "Simiyu", "Wanyama", "Masinde", "Juma", "Shikuku"],
        ["Wafula", "Wekesa", "Barasa", "Simiyu", "Wanyama", "Masinde", "Namusia", "Makokha"],
        "luy",
    ),
    (
        ["Chebet", "Jepkosgei", "Chepkoech", "Jeptoo", "Cherono", "Jelagat"],
        ["Kiprop", "Kipchoge", "Kiprono", "Kibet", "Cheruiyot", "Rotich"],
        ["Kiprop", "Rotich", "Korir", "Kipkemboi", "Langat", "Ruto", "Kosgei", "Tanui"],
        "kln",
    ),
    (
        ["Mwikali", "Ndinda", "Mutheu", "Kavata", "Nduku", "Syokau"],
        ["Mutua", "Musyoka", "Kyalo", "Munyao", "Kioko", "Mwendwa"],
        ["Mutua", "Musyoka", "Kyalo", "Muthama", "Mulwa", "Nzioka"],
        "kam",
    ),
    (
        ["Fatuma", "Amina", "Zainabu", "Mwanaisha", "Halima", "Rehema", "Saida"],
        ["Hassan", "Omar", "Salim", "Juma", "Bakari", "Rashid", "Athman"],
        ["Hassan", "Omar", "Salim", "Said", "Abdalla", "Bakari", "Mohamed"],
        "sw",
    ),
    (
        ["Hodan", "Ayaan", "Fadumo", "Sahra", "Khadra"],
        ["Abdi", "Mohamed", "Ahmed", "Farah", "Abdirahman"],
        ["Abdi", "Farah", "Hussein", "Aden", "Warsame", "Ali"],
        "so",
    ),
    (
        ["Priya", "Anjali", "Meera", "Kavita"],
        ["Rajesh", "Sanjay", "Amit", "Vikram"],
        ["Patel", "Shah", "Mehta", "Sharma"],
        "en",
    ),
    (
        ["Grace", "Mercy", "Faith", "Joy", "Esther", "Ruth", "Mary", "Sarah"],
        ["John", "Peter", "James", "David", "Samuel", "Daniel", "Joseph", "Paul"],
        ["Smith", "Müller", "O'Brien", "Nielsen", "Dubois"],
        "en",
    ),
]
COMMUNITY_WEIGHTS = [18, 15, 12, 10, 9, 10, 5, 3, 4]
TOWNS = [
    ("Nairobi", "Nairobi"),
    ("Thika", "Kiambu"),
    ("Kiambu", "Kiambu"),
    ("Ruiru", "Kiambu"),
    ("Machakos", "Machakos"),
    ("Kisumu", "Kisumu"),
    ("Nakuru", "Nakuru"),
]
STREETS = [
    "Moi Avenue",
    "Kenyatta Road",
    "Ngong Road",
    "Thika Road",
    "Jogoo Road",
    "Riverside Drive",
]
# Safaricom and Airtel mobile prefixes, so the numbers are valid Kenyan mobiles.
MOBILE_PREFIXES = ["70", "71", "72", "74", "79", "11", "73", "78"]


def _age(rng: random.Random) -> int:
    # A hospital's patients: many children and young adults, fewer of the very old.
    band = rng.choices(
        [(0, 4), (5, 14), (15, 29), (30, 44), (45, 64), (65, 95)], weights=[14, 12, 24, 22, 18, 10]
    )[0]
    return rng.randint(*band)


def _phone(rng: random.Random) -> str:
    return f"+254{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"


def generated_patients(today: dt.date, count: int = GENERATED) -> list[tuple[str, PatientInput]]:
    """(source id, patient) pairs: `count` people, then the planted duplicates."""
    rng = random.Random(SEED)  # noqa: S311 - made-up people, not secrets
    people: list[tuple[str, PatientInput]] = []
    for n in range(1, count + 1):
        women, men, families, language = rng.choices(COMMUNITIES, weights=COMMUNITY_WEIGHTS)[0]
        sex = rng.choice(["female", "male"])
        given = rng.choice(women if sex == "female" else men)
        middle = rng.choice(women if sex == "female" else men) if rng.random() < 0.4 else ""
        family = rng.choice(families)
        age = _age(rng)
        birth = today - dt.timedelta(days=age * 365 + rng.randrange(365))
        adult = age >= 18
        town, county = rng.choice(TOWNS)
        deceased = rng.random() < 0.02 and age > 40
        identifiers = []
        if adult:
            identifiers.append(IdentifierInput("national_id", str(rng.randrange(10**7, 4 * 10**7))))
        if rng.random() < 0.35:
            identifiers.append(
                IdentifierInput(
                    "insurance_member", f"NHIF-{rng.randrange(10**6, 10**7)}", assigner="NHIF"
                )
            )
        kin_family = family if rng.random() < 0.8 else rng.choice(families)
        kin = ContactInput(
            name=f"{rng.choice(women + men)} {kin_family}",
            relationship=rng.choice(["mother", "father", "spouse", "sister", "brother", "son"])
            if adult
            else rng.choice(["mother", "father", "guardian"]),
            phone=_phone(rng),
        )
        data = PatientInput(
            given_name=given,
            middle_name=middle if middle != given else "",
            family_name=family,
            sex=sex,
            birth_date=birth,
            marital_status=(rng.choice(["M", "M", "S", "W", "D"]) if age >= 20 else "S")
            if adult
            else "",
            language=language,
            phone=_phone(rng) if adult or rng.random() < 0.3 else "",
            email=f"{given}.{family}{n}@example.org".lower().replace("'", "")
            if adult and rng.random() < 0.3 and (given + family).isascii()
            else "",
            address={
                "line": f"{rng.randint(1, 400)} {rng.choice(STREETS)}",
                "city": town,
                "district": county,
                "country": "KE",
            },
            consent_sms=rng.random() < 0.7,
            consent_email=rng.random() < 0.3,
            consent_research=rng.random() < 0.2,
            is_deceased=deceased,
            deceased_at=dt.datetime.combine(
                today - dt.timedelta(days=rng.randint(5, 900)), dt.time(10), tzinfo=dt.UTC
            )
            if deceased
            else None,
            identifiers=tuple(identifiers),
            contacts=(kin,),
        )
        people.append((f"demo:{n}", data))
    return people + _planted(people, rng)


def _typo(name: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(name) - 1)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def _planted(people: list[tuple[str, PatientInput]], rng: random.Random):
    """Second records of people already registered, as front desks make them."""
    adults = [p for _, p in people if p.phone and len(p.given_name) > 3 and not p.is_deceased]
    chosen = rng.sample(adults, 8)
    changes = [
        lambda p: replace(p, given_name=_typo(p.given_name, rng)),
        lambda p: replace(p, family_name=_typo(p.family_name, rng)),
        lambda p: replace(p, given_name=p.family_name, family_name=p.given_name),
        lambda p: replace(p, phone=_phone(rng)),
    ]
    planted = []
    for n, person in enumerate(chosen, start=1):
        # The second visit rarely brings the same papers or the same next of kin.
        twin = changes[n % len(changes)](replace(person, identifiers=(), contacts=(), email=""))
        planted.append((f"demo:dup{n}", twin))
    return planted


def load_demo_patients(facility: Facility) -> list[ImportReport]:
    """Import the generated patients, then Synthea's when the shared data is here."""
    today = timezone.localdate()
    rows = [
        SourceRow(number, external, data)
        for number, (external, data) in enumerate(generated_patients(today), start=1)
    ]
    reports = [
        import_patients(
            actor=None,
            facility=facility,
            rows=rows,
            source="demo generator",
            skip_permission_checks=True,
        )
    ]
    if SYNTHEA.is_dir():
        reports.append(
            import_patients(
                actor=None,
                facility=facility,
                rows=FhirSource([SYNTHEA], region=facility.country),
                source="Synthea sample",
                accept_good_rows=True,
                skip_permission_checks=True,
            )
        )
    return reports
