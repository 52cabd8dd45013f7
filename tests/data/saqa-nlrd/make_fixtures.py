"""Regenerate the synthetic NLRD fixtures in this directory (all people and providers invented).

    .venv/bin/python tests/data/saqa-nlrd/make_fixtures.py

good/      files the conformance suite decodes alone (21 providers, 24 accreditations)
bad/       files that must yield located errors
load-ok/   one complete load (21 + 25 + 29) joined by National_Id and by alternate id
load-bad/  a load whose 25 and 29 files hold one bad line of each kind among good ones
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from connectors.saqa_nlrd._writer import format_line  # noqa: E402

D = dt.date


def write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("".join(x + "\r\n" for x in lines).encode("ascii"))


def provider(code, name, **kw):
    v = {"Provider_Code": code, "Etqa_Id": "599", "Provider_Name": name, "Provider_Type_Id": "500",
         "Provider_Address_1": "1 Example Road", "Provider_Address_2": "Testville",
         "Provider_Postal_Code": "0001", "Provider_Phone_Number": "0110000000",
         "Provider_Accreditation_Num": "ACC-" + code, "Provider_Accredit_Start_Date": D(2020, 1, 1),
         "Provider_Accredit_End_Date": D(2025, 12, 31), "Provider_Class_Id": "5",
         "Structure_Status_Id": "510", "Province_Code": "GP", "Country_Code": "ZA",
         "Provider_Web_Address": "https://provider.example", "Date_Stamp": D(2025, 1, 31)}
    v.update(kw)
    return format_line("21", v)


def accreditation(code, **kw):
    v = {"Provider_Code": code, "Provider_Etqa_Id": "599", "Provider_Accreditation_Num": "ACC-" + code,
         "Provider_Accredit_Assessor_Ind": "Y", "Provider_Accred_Start_Date": D(2021, 3, 1),
         "Provider_Accred_End_Date": D(2026, 2, 28), "Etqa_Decision_Number": "DEC-2021-07",
         "Provider_Accred_Status_Code": "A", "Date_Stamp": D(2025, 1, 31)}
    v.update(kw)
    return format_line("24", v)


def person(nid="", alt="", alt_type="533", last="Testperson", first="Alex", **kw):
    v = {"National_Id": nid, "Person_Alternate_Id": alt, "Alternative_Id_Type": alt_type,
         "Equity_Code": "BA", "Nationality_Code": "SA", "Home_Language_Code": "Zul",
         "Gender_Code": "F", "Citizen_Resident_Status_Code": "SA", "Socioeconomic_Status_Code": "01",
         "Disability_Status_Code": "N", "Person_Last_Name": last, "Person_First_Name": first,
         "Person_Birth_Date": D(1990, 5, 17), "Person_Home_Address_1": "2 Invented Street",
         "Person_Email_Address": "learner@example.invalid", "Province_Code": "GP",
         "Provider_Code": "PRV0001", "Provider_Etqa_Id": "599", "Date_Stamp": D(2025, 1, 31)}
    v.update(kw)
    return format_line("25", v)


def achievement(nid="", alt="", alt_type="533", qual="48872", status="15", **kw):
    v = {"National_Id": nid, "Person_Alternate_Id": alt, "Alternative_Id_Type": alt_type,
         "Qualification_Id": qual, "Learner_Achievement_Status_Id": status,
         "Learner_Achievement_Type_Id": "1", "Learner_Achievement_Date": D(2024, 11, 30) if status == "15" else "",
         "Learner_Enrolled_Date": D(2022, 2, 1), "Part_Of": "1", "Provider_Code": "PRV0001",
         "Provider_Etqa_Id": "599", "Assessor_Etqa_Id": "599", "Date_Stamp": D(2025, 1, 31)}
    v.update(kw)
    return format_line("29", v)


def main() -> None:
    # ---- conformance: good -------------------------------------------------------------
    write(HERE / "good" / "TEST21250131.dat", [
        provider("PRV0001", "Example Skills Academy"),
        provider("PRV0002", "Invented Public College", Provider_Class_Id="4", Structure_Status_Id="511",
                 Province_Code="4", Provider_Sars_Number="9000000001"),
        provider("PRV0003", "Sample Training Centre", Provider_Class_Id="7", Provider_Type_Id="5",
                 Provider_Accredit_Start_Date="", Provider_Accredit_End_Date=""),
    ])
    write(HERE / "good" / "TEST24250131.dat", [
        accreditation("PRV0001", Qualification_Id="48872"),
        accreditation("PRV0001", Learnership_Id="LP0042", Provider_Accred_Status_Code="V"),
        accreditation("PRV0002", Unit_Standard_Id="115753", Provider_Accred_Status_Code="512"),
    ])
    # ---- conformance: bad --------------------------------------------------------------
    good21 = provider("PRV0009", "Fine Provider")
    write(HERE / "bad" / "TEST21250201.dat", [
        good21,
        good21[:-10],                                               # wrong length
        provider("PRV0010", "Bad Date Provider", Date_Stamp="20251345"),
        provider("PRV0011", "Bad Code Provider", Provider_Class_Id="2"),
        provider("", "Missing Code Provider"),
    ])
    write(HERE / "bad" / "TEST24250201.dat", [
        accreditation("PRV0001"),                                   # no scope id
        accreditation("PRV0001", Qualification_Id="1", Learnership_Id="2"),
        accreditation("PRV0001", Qualification_Id="48872", Provider_Accred_Status_Code="Q"),
    ])
    write(HERE / "bad" / "TEST29250201.dat", [                      # achievements, no File 25
        achievement(nid="8001015009087"),
        achievement(alt="P1234567", alt_type="527"),
    ])
    write(HERE / "bad" / "notes.txt", ["this is not an NLRD file"])
    # ---- a complete load ---------------------------------------------------------------
    load = HERE / "load-ok"
    write(load / "TEST21250131.dat", [provider("PRV0001", "Example Skills Academy")])
    write(load / "TEST25250131.dat", [
        person(nid="8001015009087", first="Thandi", last="Examplename", Person_Middle_Name="Grace",
               Seeing_Rating_Id="1", Walking_Rating_Id="2"),
        person(alt="P1234567", alt_type="527", first="Jean", last="Fictif", Gender_Code="M",
               Nationality_Code="ZIM", Equity_Code="U", Disability_Status_Code="04",
               Home_Language_Code="Oth", Person_Email_Address=""),
        person(nid="9202204800081", alt="ST-77", alt_type="537", first="Sipho", last="Invented",
               Gender_Code="M"),
    ])
    write(load / "TEST29250131.dat", [
        achievement(nid="8001015009087", Honours_Classification="CL"),
        achievement(alt="P1234567", alt_type="527", qual="58761"),
        achievement(alt="ST-77", alt_type="537", qual="48872"),     # found by alternate id
        achievement(nid="9202204800081", qual="66249", status="3"),  # enrolled
        achievement(nid="9202204800081", qual="66250", status="5"),  # re-enrolled
    ])
    # ---- a load with bad lines ---------------------------------------------------------
    bad = HERE / "load-bad"
    write(bad / "TEST25250131.dat", [
        person(nid="8001015009087", first="Thandi", last="Examplename"),
        person(nid="8001015009087", first="Thandi", last="Examplename")[:-1],      # wrong length
        person(nid="7501015800084", first="Badday", last="Birthdate", Person_Birth_Date="19750230"),
        person(nid="7601015800083", first="Badcode", last="Equity", Equity_Code="XX"),
        person(nid="12345", first="Short", last="Nationalid"),
        person(first="Noid", last="Atall"),
        person(nid="8501015800088", first="Valid", last="Second"),
    ])
    write(bad / "TEST29250131.dat", [
        achievement(nid="8001015009087"),                                          # ok
        achievement(nid="7501015800084"),                                          # person rejected
        achievement(nid="6601015800089"),                                          # no such person
        achievement(nid="8501015800088", Learner_Achievement_Date="20241301"),     # bad date
        achievement(nid="8501015800088", status="99"),                             # unknown code
        achievement(nid="8501015800088", Learner_Achievement_Date=""),             # achieved, no date
        achievement(nid="8501015800088", qual="58761"),                            # ok
    ])


if __name__ == "__main__":
    main()
