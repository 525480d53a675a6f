"""Duplicate detection quality: precision and recall of the master patient index's matcher.

Usage: .venv/bin/python bench/duplicate_detection.py [--database sqlite|postgres]
       [--people 5000] [--seed 7]
PostgreSQL uses postgres://postgres@127.0.0.1:5432/hms_bench_mpi (created and migrated here).

Generates a population of households (spouses, children, twins, sons named after their
fathers, namesakes from a skewed name distribution), then second records for some people
of known kinds (typos, swapped names, a new phone, a missing or mistyped birth date, an
estimated age, a married name). Every record is then looked up with
`find_likely_duplicates` as the front desk does, and the whole facility is scanned with
`scan_for_duplicates` as the worklist is. A found pair is right when both records belong
to one person. Prints precision and recall overall, recall per kind of duplicate, false
pairs per kind of look-alike, and precision and recall at other thresholds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace

PG_URL = "postgres://postgres@127.0.0.1:5432/hms_bench_mpi"


def _words(text: str) -> list[str]:
    return text.split()


MALE = _words(
    "John James Peter Joseph David Daniel Samuel Michael Paul Brian Kevin Dennis Stephen "
    "Francis George Charles Patrick Moses Isaac Joshua Emmanuel Collins Victor Felix Martin "
    "Mohamed Ali Hassan Omar Ibrahim Abdi Yusuf Kipchoge Otieno Odhiambo Ochieng Onyango "
    "Kamau Mwangi Njoroge Kariuki Wekesa Barasa Mutua Musyoka Kiprono Kibet Cheruiyot "
    "Wafula Juma Baraka Tumaini Amani Jabari Chege Gitau Macharia Omondi Owino Oduor "
    "Nelson Edwin Alex Eric Simon Thomas Andrew Anthony Richard Robert William Henry"
)
FEMALE = _words(
    "Mary Grace Faith Joyce Esther Ruth Sarah Elizabeth Margaret Jane Alice Lucy Ann "
    "Catherine Mercy Caroline Rose Nancy Agnes Beatrice Florence Susan Dorcas Eunice "
    "Purity Winnie Sharon Diana Irene Janet Lilian Naomi Rebecca Hellen Josephine Gladys "
    "Fatuma Amina Halima Zainab Mariam Khadija Wanjiku Wambui Njeri Nyambura Akinyi "
    "Atieno Achieng Awino Adhiambo Chebet Jepkoech Jeptoo Nafula Nekesa Mwende Mumbua "
    "Zawadi Neema Imani Rehema Baraka Pendo Furaha Emma Emily Brenda Cynthia Doreen"
)
FAMILY = _words(
    "Kamau Mwangi Otieno Odhiambo Ochieng Onyango Wanjiru Njoroge Kariuki Kimani Mutua "
    "Musyoka Kiprono Kibet Cheruiyot Rotich Koech Langat Kiptoo Wekesa Barasa Wafula "
    "Simiyu Wanyama Juma Hassan Mohamed Ali Omar Abdi Kiprotich Korir Bett Ngugi Githinji "
    "Macharia Gitau Chege Kinyua Muriuki Maina Ndungu Wairimu Nyaga Mugo Karanja Kiplagat "
    "Owino Oduor Omondi Okoth Ouma Opiyo Okello Were Nyongesa Makokha Mwita Chacha Marwa "
    "Mwakio Mwamburi Kazungu Charo Baya Katana Kahindi Masha Mohamud Hussein Said Salim "
    "Smith Brown Wilson Taylor Johnson Williams Jones Miller Davis Anderson Thompson "
    "White Martin Clarke Walker Wright Robinson Hall Green Patel Shah Mehta Singh Kumar "
    "Njuguna Kinyanjui Waweru Gachanja Mbugua Mureithi Wachira Gathoni Nderitu Kagwe "
    "Kirui Kosgei Tanui Yego Sang Limo Chepkwony Biwott Kemboi Keter Lagat Ruto Kosgey"
)
KEYBOARD_NEIGHBOURS = {
    "a": "sqz",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "w": "qe",
    "y": "tu",
}


@dataclass
class Record:
    person: int
    household: int
    given: str
    family: str
    sex: str
    birth_date: dt.date | None
    estimated: bool
    phone: str
    national_id: str
    kind: str = "original"  # for second records: what differs from the first
    pk: int | None = None


@dataclass
class Population:
    records: list[Record] = field(default_factory=list)
    relations: dict[frozenset[int], str] = field(default_factory=dict)  # person pair -> kind


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.person = 0
        self.phones: set[str] = set()
        # Real name frequencies are skewed: a few names are very common.
        self.weights = {
            name: [1 / (rank + 1) ** 0.8 for rank in range(len(pool))]
            for name, pool in (("male", MALE), ("female", FEMALE), ("family", FAMILY))
        }

    def pick(self, pool: list[str], kind: str) -> str:
        return self.rng.choices(pool, weights=self.weights[kind])[0]

    def given(self, sex: str) -> str:
        return self.pick(MALE, "male") if sex == "male" else self.pick(FEMALE, "female")

    def phone(self) -> str:
        while True:
            number = f"+2547{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def birth(self, start: int, end: int) -> dt.date:
        return dt.date(start, 1, 1) + dt.timedelta(
            days=self.rng.randrange((dt.date(end, 12, 31) - dt.date(start, 1, 1)).days)
        )

    def person_record(self, household: int, **values) -> Record:
        self.person += 1
        return Record(person=self.person, household=household, **values)

    def household(self, number: int, population: Population) -> None:
        rng = self.rng
        family = self.pick(FAMILY, "family")
        phone = self.phone()
        members: list[Record] = []
        father = self.adult(number, "male", family, phone)
        members.append(father)
        if rng.random() < 0.7:
            # Some wives keep their own family name.
            wife_family = family if rng.random() < 0.7 else self.pick(FAMILY, "family")
            members.append(
                self.adult(number, "female", wife_family, phone if rng.random() < 0.3 else "")
            )
        children = rng.choice([0, 1, 2, 2, 3, 3, 4])
        born = 0
        while born < children:
            birth = self.birth(max(father.birth_date.year + 18, 1990), 2024)
            twins = rng.random() < 0.06
            for _ in range(2 if twins else 1):
                sex = rng.choice(["male", "female"])
                taken = {m.given for m in members}
                given = self.given(sex)
                while given in taken:  # parents do not give two children one name
                    given = self.given(sex)
                if twins and members[-1].birth_date == birth:
                    population.relations[frozenset((members[-1].person, self.person + 1))] = "twins"
                elif sex == "male" and rng.random() < 0.05:
                    given = father.given  # a son named after his father
                    population.relations[frozenset((father.person, self.person + 1))] = (
                        "father and son of one name"
                    )
                members.append(
                    self.person_record(
                        number,
                        given=given,
                        family=family,
                        sex=sex,
                        birth_date=birth,
                        estimated=False,
                        phone=phone if rng.random() < 0.6 else "",
                        national_id="",
                    )
                )
                born += 1
        for member in members:
            if rng.random() < 0.05:
                member.birth_date = None  # registered without a birth date
            elif member.birth_date and rng.random() < 0.04:
                member.birth_date, member.estimated = dt.date(member.birth_date.year, 7, 1), True
            if not member.phone and member.birth_date and member.birth_date.year < 2008:
                member.phone = self.phone() if rng.random() < 0.85 else ""
        population.records += members

    def adult(self, household: int, sex: str, family: str, phone: str) -> Record:
        return self.person_record(
            household,
            given=self.given(sex),
            family=family,
            sex=sex,
            birth_date=self.birth(1940, 2002),
            estimated=False,
            phone=phone or self.phone(),
            national_id=f"{self.rng.randrange(10**7, 10**8)}" if self.rng.random() < 0.4 else "",
        )

    # --- second records --------------------------------------------------------------

    def typo(self, word: str) -> str:
        rng = self.rng
        chars = list(word.lower())
        i = rng.randrange(1, len(chars)) if len(chars) > 1 else 0
        action = rng.choice(["swap", "delete", "double", "neighbour"])
        if action == "swap" and i < len(chars) - 1:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif action == "delete" and len(chars) > 3:
            del chars[i]
        elif action == "double":
            chars.insert(i, chars[i])
        else:
            chars[i] = rng.choice(KEYBOARD_NEIGHBOURS.get(chars[i], "aeiou"))
        return "".join(chars).capitalize()

    def mistyped_date(self, day: dt.date) -> dt.date:
        if day.day <= 12 and day.day != day.month and self.rng.random() < 0.5:
            return dt.date(day.year, day.day, day.month)  # day and month swapped
        for _ in range(20):
            digits = list(day.strftime("%Y%m%d"))
            i = self.rng.choice([3, 5, 7, 6, 2])
            digits[i] = str(self.rng.randrange(10))
            try:
                changed = dt.datetime.strptime("".join(digits), "%Y%m%d").date()  # noqa: DTZ007
            except ValueError:
                continue
            if changed != day and changed.year >= 1900:
                return changed
        return day + dt.timedelta(days=1)

    def second_record(self, original: Record, kind: str) -> Record:
        copy = replace(original, kind=kind, pk=None)
        if self.rng.random() < 0.5:
            copy.national_id = ""  # the second registration often lacks the ID
        if kind == "typo in given name":
            copy.given = self.typo(original.given)
        elif kind == "typo in family name":
            copy.family = self.typo(original.family)
        elif kind == "given and family swapped":
            copy.given, copy.family = original.family, original.given
        elif kind == "new phone":
            copy.phone = self.phone()
        elif kind == "no birth date":
            copy.birth_date, copy.estimated = None, False
        elif kind == "mistyped birth date":
            copy.birth_date = self.mistyped_date(original.birth_date)
        elif kind == "estimated age":
            year = original.birth_date.year + self.rng.choice([-1, 0, 0, 1])
            copy.birth_date, copy.estimated = dt.date(year, 7, 1), True
        elif kind == "typo and new phone":
            copy.given = self.typo(original.given)
            copy.phone = self.phone()
        elif kind == "married name":
            copy.family = self.pick(FAMILY, "family")
        return copy


KINDS = {
    # kind: can it apply to this record?
    "same details": lambda r: True,
    "typo in given name": lambda r: len(r.given) >= 4,
    "typo in family name": lambda r: len(r.family) >= 4,
    "given and family swapped": lambda r: True,
    "new phone": lambda r: bool(r.phone),
    "no birth date": lambda r: bool(r.birth_date and r.phone and not r.estimated),
    "mistyped birth date": lambda r: bool(r.birth_date and not r.estimated),
    "estimated age": lambda r: bool(r.birth_date and r.phone and not r.estimated),
    "typo and new phone": lambda r: bool(r.birth_date and r.phone and len(r.given) >= 4),
    "married name": lambda r: r.sex == "female" and bool(r.birth_date and r.phone),
}


def generate(people: int, seed: int) -> Population:
    gen = Generator(seed)
    population = Population()
    number = 0
    while len(population.records) < people:
        number += 1
        gen.household(number, population)
    population.records = population.records[:people]
    adults = [r for r in population.records if r.birth_date and r.birth_date.year < 2006]
    for record in gen.rng.sample(population.records, k=people // 10):
        kinds = [k for k, fits in KINDS.items() if fits(record)]
        if record.sex != "female" or record not in adults:
            kinds = [k for k in kinds if k != "married name"]
        population.records.append(gen.second_record(record, gen.rng.choice(kinds)))
    gen.rng.shuffle(population.records)
    return population


# --- loading and measuring ---------------------------------------------------------------


def configure(database: str) -> None:
    os.environ["HMS_DATA_DIR"] = tempfile.mkdtemp(prefix="hms-bench-")
    if database == "postgres":
        for tool in ("dropdb", "createdb"):
            extra = ["--if-exists"] if tool == "dropdb" else []
            subprocess.run(  # noqa: S603
                [tool, "-h", "127.0.0.1", "-U", "postgres", *extra, "hms_bench_mpi"],  # noqa: S607
                check=True,
                stderr=subprocess.DEVNULL,
            )
        os.environ["DATABASE_URL"] = PG_URL
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "hms.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def load(population: Population):
    """Insert the records as registration would store them, in bulk and unaudited."""
    from django.db import connection

    from hms.core import crypto
    from hms.core.models import Facility
    from hms.patients import search
    from hms.patients.inputs import identifier_key
    from hms.patients.models import Patient, PatientIdentifier, PatientNameKey
    from hms.patients.names import search_name
    from hms.patients.services import phone_index

    facility = Facility.objects.create(name="Bench General", code="BGH", country="KE")
    rows = [
        Patient(
            facility=facility,
            mrn=f"B{n:07d}",
            given_name=r.given,
            family_name=r.family,
            sex=r.sex,
            birth_date=r.birth_date,
            birth_date_estimated=r.estimated,
            phone=r.phone,
            phone_index=phone_index(r.phone),
            search_name=search_name(r.given, r.family),
        )
        for n, r in enumerate(population.records, 1)
    ]
    Patient.objects.bulk_create(rows, batch_size=1000)
    for record, row in zip(population.records, rows, strict=True):
        record.pk = row.pk
    PatientNameKey.objects.bulk_create(
        (
            PatientNameKey(key=k, patient=row)
            for row in rows
            for k in search.name_keys(row.search_name)
        ),
        batch_size=5000,
    )
    system = PatientIdentifier.System.NATIONAL_ID
    PatientIdentifier.objects.bulk_create(
        PatientIdentifier(
            patient_id=r.pk,
            system=system,
            value=r.national_id,
            value_index=crypto.blind_index(
                identifier_key(system, r.national_id), kind="identifier"
            ),
        )
        for r in population.records
        if r.national_id
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum soon would after a bulk load
    return facility


def true_pairs(population: Population) -> dict[frozenset[int], str]:
    """Pairs of records of one person, with the kind of the second record."""
    by_person: dict[int, list[Record]] = {}
    for r in population.records:
        by_person.setdefault(r.person, []).append(r)
    pairs = {}
    for records in by_person.values():
        for i, a in enumerate(records):
            for b in records[i + 1 :]:
                pairs[frozenset((a.pk, b.pk))] = b.kind if b.kind != "original" else a.kind
    return pairs


def look_alike(a: Record, b: Record, population: Population) -> str:
    """What two different people who were matched have in common."""
    related = population.relations.get(frozenset((a.person, b.person)))
    if related:
        return related
    if a.household == b.household:
        return "same household"
    if (a.given, a.family) == (b.given, b.family):
        return "namesakes"
    return "unrelated"


def front_desk_lookups(population: Population, facility) -> tuple[dict, list[float]]:
    """Every record looked up as a registration would: pair -> best score (down to 0.3)."""
    from hms.patients import matching
    from hms.patients.models import Patient, PatientIdentifier

    identifiers: dict[int, list[tuple[str, str]]] = {}
    for pk, system, index in PatientIdentifier.objects.values_list(
        "patient_id", "system", "value_index"
    ):
        identifiers.setdefault(pk, []).append((system, index))
    found: dict[frozenset[int], float] = {}
    timings = []
    for patient in Patient.objects.filter(facility=facility).iterator(chunk_size=1000):
        probe = matching.probe_for(patient, identifiers.get(patient.pk, ()))
        started = time.perf_counter()
        matches = matching.find_likely_duplicates(
            probe, facility_id=facility.pk, exclude_id=patient.pk, threshold=0.3, limit=20
        )
        timings.append(time.perf_counter() - started)
        for m in matches:
            pair = frozenset((patient.pk, m.patient.pk))
            found[pair] = max(found.get(pair, 0.0), m.score)
    return found, timings


def precision_recall(found: set, truth: dict) -> tuple[int, int, float, float]:
    right = len(found & truth.keys())
    precision = right / len(found) if found else 1.0
    return right, len(found) - right, precision, right / len(truth)


def report(population: Population, found: dict, scanned: set, timings: list[float]) -> None:
    from hms.patients.matching import LIKELY

    truth = true_pairs(population)
    by_pk = {r.pk: r for r in population.records}
    likely = {pair for pair, s in found.items() if s >= LIKELY}
    people = len({r.person for r in population.records})
    twins = sum(1 for v in population.relations.values() if v == "twins")
    namesakes = Counter((r.given, r.family) for r in population.records if r.kind == "original")
    print(
        f"\n{len(population.records)} records of {people} people; {len(truth)} duplicate pairs; "
        f"{twins} twin pairs; {sum(n * (n - 1) // 2 for n in namesakes.values())} pairs of "
        f"namesakes (same given and family name, different people). Threshold {LIKELY}.\n"
    )
    print(f"{'lookup':<40} {'found':>6} {'right':>6} {'wrong':>6} {'precision':>10} {'recall':>7}")
    for name, pairs in (
        ("find_likely_duplicates (front desk)", likely),
        ("scan_for_duplicates (worklist)", scanned),
    ):
        right, wrong, p, r = precision_recall(pairs, truth)
        print(f"{name:<40} {len(pairs):>6} {right:>6} {wrong:>6} {p:>10.3f} {r:>7.3f}")

    print(f"\n{'duplicate kind':<28} {'pairs':>6} {'found':>6} {'recall':>7}")
    kinds = Counter(truth.values())
    hits = Counter(kind for pair, kind in truth.items() if pair in likely)
    for kind in KINDS:
        if kinds[kind]:
            print(f"{kind:<28} {kinds[kind]:>6} {hits[kind]:>6} {hits[kind] / kinds[kind]:>7.3f}")

    wrong = Counter(
        look_alike(*(by_pk[pk] for pk in pair), population) for pair in likely - truth.keys()
    )
    print(f"\n{'wrongly matched (different people)':<36} {'pairs':>6}")
    for kind, n in wrong.most_common() or [("none", 0)]:
        print(f"{kind:<36} {n:>6}")

    print(f"\n{'threshold':>9} {'found':>6} {'precision':>10} {'recall':>7}")
    for threshold in (0.5, 0.6, 0.7, LIKELY, 0.8, 0.9, 0.95):
        pairs = {pair for pair, s in found.items() if s >= threshold}
        _, _, p, r = precision_recall(pairs, truth)
        print(f"{threshold:>9.2f} {len(pairs):>6} {p:>10.3f} {r:>7.3f}")

    timings.sort()
    print(
        f"\nlookup time: p50 {statistics.median(timings) * 1000:.1f} ms, "
        f"p95 {timings[int(len(timings) * 0.95) - 1] * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    configure(args.database)
    population = generate(args.people, args.seed)
    facility = load(population)
    found, timings = front_desk_lookups(population, facility)

    from hms.patients.merging import scan_for_duplicates
    from hms.patients.models import DuplicateCandidate

    started = time.perf_counter()
    scan_for_duplicates(facility=facility)
    scan_seconds = time.perf_counter() - started
    scanned = {
        frozenset(pair) for pair in DuplicateCandidate.objects.values_list("patient_id", "other_id")
    }
    from django.db import connection

    print(f"database: {connection.vendor}; seed {args.seed}")
    report(population, found, scanned, timings)
    print(f"worklist scan of the facility: {scan_seconds:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
