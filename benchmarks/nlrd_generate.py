"""Generate a synthetic NLRD load (Files 21, 25, 29) of any size, streamed to disk.

    .venv/bin/python benchmarks/nlrd_generate.py /tmp/nlrd-1m 1000000

Every person is invented (deterministic from the seed). One File 29 line per person: about 70 %
achieved (status 15), the rest enrolled or re-enrolled; File 29 is shuffled in blocks so that
lookups are not in File 25 order. Half the persons carry a National_Id, the others a passport
number (Alternative_Id_Type 527). Nothing here is committed as data: write to /tmp.
"""
from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.saqa_nlrd._writer import format_line  # noqa: E402

FIRST = ["Ayanda", "Bongani", "Chloe", "Dineo", "Elias", "Fatima", "Gift", "Hlengiwe", "Isaac",
         "Johan", "Karabo", "Lerato", "Mpho", "Naledi", "Olwethu", "Pieter", "Refilwe", "Sipho"]
LAST = ["Mokoena", "Dlamini", "Nkosi", "Botha", "Naidoo", "Khumalo", "Van Wyk", "Zulu", "Pillay"]
EQUITY = ["BA", "BC", "BI", "Wh", "Oth", "U"]
LANG = ["Eng", "Zul", "Afr", "Xho", "Sep", "Set", "Ses", "Tsh", "Oth"]
QUALS = ["48872", "58761", "66249", "67460", "23833", "49648", "57712", "94020"]
BLOCK = 10_000


def _nid(i: int) -> str:
    return f"{800101 + i % 1000:06d}{i:07d}"          # 13 digits, unique below 10 million


def _person_ids(i: int) -> tuple[str, str, str]:
    if i % 2 == 0:
        return _nid(i), "", "533"
    return "", f"P{i:09d}", "527"


def generate(out: Path, persons: int, *, seed: int = 1) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    stamp = dt.date(2025, 1, 31)
    f21, f25, f29 = out / "BNCH21250131.dat", out / "BNCH25250131.dat", out / "BNCH29250131.dat"
    with open(f21, "w", newline="\r\n") as fh:
        for p in range(20):
            fh.write(format_line("21", {
                "Provider_Code": f"PRV{p:05d}", "Etqa_Id": "599", "Provider_Name": f"Provider {p}",
                "Provider_Type_Id": "500", "Provider_Address_1": "1 Road", "Provider_Address_2": "Town",
                "Provider_Postal_Code": "0001", "Provider_Class_Id": "5", "Structure_Status_Id": "510",
                "Province_Code": "GP", "Country_Code": "ZA", "Date_Stamp": stamp}) + "\n")
    with open(f25, "w", newline="\r\n") as fh:
        for i in range(persons):
            nid, alt, typ = _person_ids(i)
            fh.write(format_line("25", {
                "National_Id": nid, "Person_Alternate_Id": alt, "Alternative_Id_Type": typ,
                "Equity_Code": rnd.choice(EQUITY), "Nationality_Code": "SA",
                "Home_Language_Code": rnd.choice(LANG), "Gender_Code": rnd.choice("MF"),
                "Citizen_Resident_Status_Code": "SA", "Socioeconomic_Status_Code": "01",
                "Disability_Status_Code": "N", "Person_Last_Name": rnd.choice(LAST),
                "Person_First_Name": rnd.choice(FIRST), "Person_Birth_Date":
                    dt.date(1970, 1, 1) + dt.timedelta(days=rnd.randrange(12000)),
                "Person_Home_Address_1": f"{i % 900 + 1} Main Road", "Province_Code": "GP",
                "Seeing_Rating_Id": "1" if i % 10 == 0 else "", "Date_Stamp": stamp}) + "\n")
    with open(f29, "w", newline="\r\n") as fh:
        for start in range(0, persons, BLOCK):
            block = list(range(start, min(start + BLOCK, persons)))
            rnd.shuffle(block)
            for i in block:
                nid, alt, typ = _person_ids(i)
                status = "15" if rnd.random() < 0.7 else rnd.choice(["3", "5"])
                fh.write(format_line("29", {
                    "National_Id": nid, "Person_Alternate_Id": alt, "Alternative_Id_Type": typ,
                    "Qualification_Id": rnd.choice(QUALS), "Learner_Achievement_Status_Id": status,
                    "Learner_Achievement_Type_Id": "1",
                    "Learner_Achievement_Date": dt.date(2024, 11, 30) if status == "15" else "",
                    "Learner_Enrolled_Date": dt.date(2022, 2, 1), "Part_Of": "1",
                    "Provider_Code": f"PRV{i % 20:05d}", "Provider_Etqa_Id": "599",
                    "Assessor_Etqa_Id": "599", "Date_Stamp": stamp}) + "\n")
    return [f21, f25, f29]


if __name__ == "__main__":
    target, n = Path(sys.argv[1]), int(sys.argv[2])
    for p in generate(target, n):
        print(p)
