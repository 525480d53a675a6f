"""Bulk import throughput and memory: `hms import patients` on a generated CSV, and
`hms import fhir` on the shared Synthea bundles.

Usage: .venv/bin/python bench/patient_import.py [--rows 1000000] [--sqlite-rows N]
           [--databases postgres,sqlite] [--postgres postgres://postgres@127.0.0.1:5432]

The CSV is written to disk row by row. Each import runs as its own `hms` process in a
fresh data folder: into PostgreSQL (a database hms_bench_import, created and dropped)
and into SQLite. Peak memory is the import process's ru_maxrss (os.wait4). Prints one
table row per run.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
HMS = ROOT / ".venv" / "bin" / "hms"
SYNTHEA = ROOT.parent / "shared" / "testdata" / "synthea-r4-smart-on-fhir"
BENCH_DB = "hms_bench_import"

GIVEN = [
    "Wanjiru",
    "Njeri",
    "Wambui",
    "Nyambura",
    "Wanjiku",
    "Muthoni",
    "Achieng",
    "Akinyi",
    "Atieno",
    "Adhiambo",
    "Nafula",
    "Nekesa",
    "Chebet",
    "Jepkosgei",
    "Mwikali",
    "Ndinda",
    "Fatuma",
    "Amina",
    "Zainabu",
    "Halima",
    "Grace",
    "Mercy",
    "Faith",
    "Esther",
    "Ruth",
    "Mary",
    "Sarah",
    "Priya",
    "Hodan",
    "Ayaan",
    "Kamau",
    "Mwangi",
    "Njoroge",
    "Kariuki",
    "Otieno",
    "Ochieng",
    "Omondi",
    "Odhiambo",
    "Wafula",
    "Wekesa",
    "Kiprop",
    "Kipchoge",
    "Mutua",
    "Musyoka",
    "Hassan",
    "Omar",
    "Salim",
    "Juma",
    "John",
    "Peter",
    "James",
    "David",
    "Samuel",
    "Daniel",
    "Joseph",
    "Paul",
    "Abdi",
    "Rajesh",
    "Baraka",
    "Brian",
    "Kevin",
    "Dennis",
]
FAMILY = [
    "Kamau",
    "Mwangi",
    "Njoroge",
    "Kariuki",
    "Wainaina",
    "Gitau",
    "Ndungu",
    "Maina",
    "Otieno",
    "Ochieng",
    "Omondi",
    "Odhiambo",
    "Onyango",
    "Owino",
    "Ouma",
    "Okello",
    "Wafula",
    "Wekesa",
    "Barasa",
    "Simiyu",
    "Wanyama",
    "Masinde",
    "Kiprop",
    "Rotich",
    "Korir",
    "Langat",
    "Ruto",
    "Kosgei",
    "Mutua",
    "Musyoka",
    "Kyalo",
    "Mulwa",
    "Hassan",
    "Omar",
    "Salim",
    "Said",
    "Abdalla",
    "Mohamed",
    "Abdi",
    "Farah",
    "Hussein",
    "Patel",
    "Shah",
    "Smith",
    "Njiru",
    "Kimani",
    "Macharia",
    "Waweru",
    "Chege",
    "Karanja",
    "Kiplagat",
    "Cheruiyot",
]
TOWNS = ["Nairobi", "Thika", "Kiambu", "Ruiru", "Machakos", "Kisumu", "Nakuru", "Mombasa"]
PREFIXES = ["70", "71", "72", "74", "79", "11"]

MAPPING = """\
external_id: PatientNo
namespace: bench
date_format: "%Y-%m-%d"
columns:
  given_name: FirstName
  middle_name: OtherNames
  family_name: Surname
  sex: Sex
  birth_date: DateOfBirth
  phone: Mobile
  address.city: Town
  consent_sms: SmsOk
values:
  sex: {F: female, M: male}
identifiers:
  - {column: NationalID, system: national_id}
"""


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(1)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "PatientNo",
                "FirstName",
                "OtherNames",
                "Surname",
                "Sex",
                "DateOfBirth",
                "Mobile",
                "NationalID",
                "Town",
                "SmsOk",
            ]
        )
        for n in range(1, rows + 1):
            year, day = rng.randint(1935, 2025), rng.randint(1, 365)
            out.writerow(
                [
                    n,
                    rng.choice(GIVEN),
                    rng.choice(GIVEN) if rng.random() < 0.3 else "",
                    rng.choice(FAMILY),
                    rng.choice("FM"),
                    f"{year}-{1 + (day - 1) // 31 % 12:02d}-{1 + (day - 1) % 28:02d}",
                    f"+254{rng.choice(PREFIXES)}{rng.randrange(10**7):07d}",
                    20_000_000 + n,
                    rng.choice(TOWNS),
                    rng.choice("YN"),
                ]
            )


def hms(env: dict, *args: str, quiet: bool = True) -> tuple[float, int, str, float]:
    """Run `hms args...`; (seconds, peak RSS in MiB, output, CPU seconds it used)."""
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603
        [str(HMS), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"hms {' '.join(args)} failed:\n{output}")
    if not quiet:
        print(output)
    return seconds, usage.ru_maxrss // 1024, output, usage.ru_utime + usage.ru_stime


def database(kind: str, server: str, data: Path) -> dict:
    env = {**os.environ, "HMS_DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)
    if kind == "postgres":
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        env["DATABASE_URL"] = f"{server}/{BENCH_DB}"
    hms(env, "migrate", "-v", "0")
    return env


def drop(kind: str, server: str) -> None:
    if kind == "postgres":
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sqlite-rows", type=int, help="Rows for SQLite (default: --rows).")
    parser.add_argument("--databases", default="postgres,sqlite")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    kinds = args.databases.split(",")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "map.yaml").write_text(MAPPING)
        sizes = {k: (args.sqlite_rows or args.rows) if k == "sqlite" else args.rows for k in kinds}
        for rows in sorted(set(sizes.values())):
            started = time.perf_counter()
            write_csv(folder / f"patients-{rows}.csv", rows)
            size = (folder / f"patients-{rows}.csv").stat().st_size / 2**20
            print(
                f"generated {rows:,} rows ({size:.0f} MiB) in {time.perf_counter() - started:.0f} s"
            )
        for kind in kinds:
            rows = sizes[kind]
            data = folder / f"data-{kind}"
            data.mkdir()
            try:
                env = database(kind, args.postgres, data)
                csv_path = folder / f"patients-{rows}.csv"
                seconds, peak, _, cpu = hms(
                    env, "import", "patients", str(csv_path), "--mapping", str(folder / "map.yaml")
                )
                results.append((kind, "CSV", rows, seconds, peak, cpu))
                print(f"{kind}: CSV {rows:,} rows in {seconds:.0f} s")
                if SYNTHEA.is_dir():
                    env_fhir = database(kind, args.postgres, folder / f"fhir-{kind}")
                    seconds, peak, out, cpu = hms(env_fhir, "import", "fhir", str(SYNTHEA))
                    patients = int(out.split(" patient(s) imported")[0].rsplit("\n", 1)[-1])
                    results.append((kind, "FHIR (Synthea)", patients, seconds, peak, cpu))
            finally:
                drop(kind, args.postgres)
    print()
    print(
        f"{'database':10} {'source':15} {'patients':>10} {'seconds':>9} {'patients/s':>11} "
        f"{'peak MiB':>9} {'import CPU ms/patient':>21}"
    )
    for kind, source, rows, seconds, peak, cpu in results:
        print(
            f"{kind:10} {source:15} {rows:>10,} {seconds:>9.1f} {rows / seconds:>11,.0f} "
            f"{peak:>9,} {cpu * 1000 / rows:>21.2f}"
        )
    # Other work on the machine slows every figure but the CPU per patient.
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("targets: >= 2,000 patients/s into PostgreSQL; peak memory < 1 GiB at 1,000,000 rows")


if __name__ == "__main__":
    main()
