"""Fictional but realistic Open Badges 3.0 credentials for demos, tests and benchmarks.

`sample_credentials(n, seed)` yields `n` OpenBadgeCredential dicts that pass both the project's
schema and the official OB3 JSON Schema: learners with given/family names, a date of birth and
identifier entries (a salted SHA-256 e-mail hash and a plain student number), issuers with an
`address.addressCountryCode` in one of `jurisdictions`, and achievements aligned to the national
framework (ZA-NQF, DE-DQR, IN-NCrF, UK-ENI-RQF, NL-NLQF) and, where the country references it,
to the EQF. Everything is deterministic for a given seed; every person and organisation is
invented, and all URLs are under example.org.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from collections.abc import Iterator

OB3_CONTEXT = ["https://www.w3.org/ns/credentials/v2",
               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]

_NAMES = {
    "ZA": (["Thabo", "Naledi", "Sipho", "Lerato", "Ayanda", "Pieter", "Johanna", "Zanele", "Kagiso",
            "Nomvula", "Bongani", "Refilwe"],
           ["Dlamini", "Nkosi", "Mokoena", "van der Merwe", "Botha", "Ndlovu", "Khumalo", "Naidoo",
            "Pillay", "Mahlangu", "Molefe", "Jacobs"]),
    "DE": (["Lukas", "Anna", "Jonas", "Lea", "Felix", "Marie", "Emre", "Sophie", "Maximilian",
            "Hannah", "Paul", "Leonie"],
           ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Yılmaz", "Hoffmann",
            "Wagner", "Koch", "Schäfer", "Kowalski"]),
    "IN": (["Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Lakshmi", "Arjun", "Kavya",
            "Siddharth", "Meera", "Farhan", "Divya"],
           ["Sharma", "Patel", "Iyer", "Reddy", "Nair", "Gupta", "Singh", "Banerjee", "Kulkarni",
            "Das", "Qureshi", "Menon"]),
    "GB": (["Oliver", "Amelia", "Harry", "Isla", "George", "Olivia", "Mohammed", "Ava", "Jack",
            "Freya", "Rhys", "Niamh"],
           ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Khan",
            "Roberts", "Campbell", "O'Neill"]),
    "NL": (["Daan", "Emma", "Sem", "Julia", "Lucas", "Tess", "Noah", "Sophie", "Finn", "Zoë",
            "Bram", "Fleur"],
           ["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer",
            "Mulder", "de Boer", "Bos", "van Dijk"]),
}

# (slug, name, locality)
_ISSUERS = {
    "ZA": [("highveld-institute", "Highveld Institute of Technology", "Johannesburg"),
           ("cape-peninsula-college", "Cape Peninsula College of Commerce", "Cape Town")],
    "DE": [("hs-rheinauen", "Hochschule Rheinauen", "Köln"),
           ("bk-elbtal", "Berufskolleg Elbtal", "Dresden")],
    "IN": [("deccan-skills", "Deccan Institute of Skills", "Pune"),
           ("ganga-valley-university", "Ganga Valley University", "Varanasi")],
    "GB": [("northmoor-college", "Northmoor College", "Leeds"),
           ("university-of-eastwick", "University of Eastwick", "Norwich")],
    "NL": [("hs-lage-landen", "Hogeschool Lage Landen", "Utrecht"),
           ("uni-veenstad", "Universiteit van Veenstad", "Groningen")],
}

# framework code, framework name, and per country: (title, achievementType, nqf, eqf, ects, isced)
_FRAMEWORK = {
    "ZA": ("ZA-NQF", "South African National Qualifications Framework"),
    "DE": ("DE-DQR", "Deutscher Qualifikationsrahmen"),
    "IN": ("IN-NCrF", "National Credit Framework (India)"),
    "GB": ("UK-ENI-RQF", "Regulated Qualifications Framework (England and Northern Ireland)"),
    "NL": ("NL-NLQF", "Nederlands Kwalificatieraamwerk"),
}
_ACHIEVEMENTS = {
    "ZA": [("Higher Certificate in Information Technology", "Certificate", "5", None, None, "0613"),
           ("Bachelor of Commerce in Accounting", "BachelorDegree", "7", None, None, "0411"),
           ("Advanced Diploma in Nursing", "Diploma", "7", None, None, "0913"),
           ("National Certificate: Early Childhood Development", "Certificate", "4", None, None, "0112")],
    "DE": [("Bachelor of Science Informatik", "BachelorDegree", "6", "6", 180, "0613"),
           ("Master of Arts Soziologie", "MasterDegree", "7", "7", 120, "0314"),
           ("Geprüfte Industriemeisterin / Geprüfter Industriemeister Metall", "Certificate", "6", "6", None, "0715"),
           ("Fachinformatiker für Anwendungsentwicklung", "ApprenticeshipCertificate", "4", "4", None, "0613")],
    "IN": [("Bachelor of Vocation in Software Development", "BachelorDegree", "5.5", None, None, "0613"),
           ("Advanced Diploma in Renewable Energy Technology", "Diploma", "5", None, None, "0713"),
           ("Bachelor of Technology in Civil Engineering", "BachelorDegree", "6", None, None, "0732"),
           ("Certificate in Healthcare Assistance", "Certificate", "4", None, None, "0913")],
    "GB": [("Level 3 Extended Diploma in Engineering", "Diploma", "3", "4", None, "0715"),
           ("BSc (Hons) Computer Science", "BachelorDegree", "6", "6", None, "0613"),
           ("Level 5 Higher National Diploma in Business", "Diploma", "5", "5", None, "0413"),
           ("MSc Public Health", "MasterDegree", "7", "7", None, "0988")],
    "NL": [("Bachelor Verpleegkunde", "BachelorDegree", "6", "6", 240, "0913"),
           ("Associate degree Software Development", "AssociateDegree", "5", "5", 120, "0613"),
           ("Master Data Science", "MasterDegree", "7", "7", 60, "0542"),
           ("MBO-diploma Mechatronica (niveau 4)", "Diploma", "4", "4", None, "0714")],
}
_GRADES = {"ZA": ["Pass", "Pass with Distinction", "Cum Laude"], "DE": ["1,3", "1,7", "2,0", "2,3", "2,7"],
           "IN": ["7.8 CGPA", "8.4 CGPA", "First Division", "9.1 CGPA"],
           "GB": ["First Class", "Upper Second Class (2:1)", "Merit", "Distinction"],
           "NL": ["7,5", "8", "cum laude", "6,8"]}
_EPOCH = dt.date(2019, 1, 1)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def _alignment(name, url, code, framework, ttype) -> dict:
    return {"type": ["Alignment"], "targetName": name, "targetUrl": url, "targetCode": code,
            "targetFramework": framework, "targetType": ttype}


def sample_credential(rng: random.Random, index: int, country: str) -> dict:
    """One credential issued in `country` (see the module docstring)."""
    given_pool, family_pool = _NAMES[country]
    given, family = rng.choice(given_pool), rng.choice(family_pool)
    slug, org_name, locality = rng.choice(_ISSUERS[country])
    title, atype, nqf, eqf, ects, isced = rng.choice(_ACHIEVEMENTS[country])
    fw_code, fw_name = _FRAMEWORK[country]
    issuer_id = f"https://issuers.example.org/{country.lower()}/{slug}"
    ach_id = f"{issuer_id}/achievements/{_slug(title)}"
    awarded = _EPOCH + dt.timedelta(days=rng.randrange(0, 6 * 365))
    born = awarded - dt.timedelta(days=rng.randrange(19 * 365, 45 * 365))
    cred_uuid = uuid.UUID(int=rng.getrandbits(128), version=4)
    email = f"{_slug(given)}.{_slug(family)}{index}@mail.example.org"
    salt = f"{rng.getrandbits(64):016x}"
    email_hash = "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()

    alignment = [_alignment(f"{fw_code} level {nqf}", f"https://frameworks.example.org/{fw_code.lower()}/{nqf}",
                            nqf, fw_code, "ext:NQF")]
    if eqf:
        alignment.append(_alignment(f"EQF level {eqf}", f"http://data.europa.eu/snb/eqf/{eqf}", eqf,
                                    "European Qualifications Framework", "ext:EQF"))
    achievement = {
        "id": ach_id, "type": ["Achievement"], "achievementType": atype, "name": title,
        "description": f"{title}, awarded by {org_name}.",
        "criteria": {"narrative": "Completed all required modules and the final assessment."},
        "alignment": alignment, "fieldOfStudy": f"{isced} (ISCED-F 2013)",
        "creator": {"id": issuer_id, "type": ["Profile"], "name": org_name},
    }
    if ects:
        achievement["ECTS"] = ects
        achievement["creditsAvailable"] = float(ects)
    subject = {
        "id": f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
        "type": ["AchievementSubject"],
        "givenName": given, "familyName": family,
        "dateOfBirth": born.isoformat(),
        "identifier": [
            {"type": "IdentityObject", "identityHash": email_hash, "identityType": "emailAddress",
             "hashed": True, "salt": salt},
            {"type": "IdentityObject", "identityHash": f"{country}{rng.randrange(10**7, 10**8)}",
             "identityType": "sisSourcedId", "hashed": False},
        ],
        "achievement": achievement,
        "result": [{"type": ["Result"], "value": rng.choice(_GRADES[country])}],
    }
    valid_from = dt.datetime(awarded.year, awarded.month, awarded.day, 9, 0, tzinfo=dt.timezone.utc)
    return {
        "@context": list(OB3_CONTEXT),
        "id": f"urn:uuid:{cred_uuid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": title,
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": org_name,
                   "url": f"https://{slug}.example.org",
                   "address": {"type": ["Address"], "addressCountryCode": country,
                               "addressLocality": locality}},
        "validFrom": valid_from.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": subject,
        "credentialStatus": {"id": f"{issuer_id}/status/{cred_uuid}", "type": "1EdTechRevocationList"},
    }


def sample_credentials(n: int, seed: int = 0,
                       jurisdictions=("ZA", "DE", "IN", "GB", "NL")) -> Iterator[dict]:
    """Yield `n` valid OB3 credentials, round-robin over `jurisdictions` (deterministic per seed)."""
    unknown = [j for j in jurisdictions if j not in _NAMES]
    if unknown or not jurisdictions:
        raise ValueError(f"no sample data for {unknown or 'an empty list'}; known: {', '.join(_NAMES)}")
    rng = random.Random(seed)
    for i in range(n):
        yield sample_credential(rng, i, jurisdictions[i % len(jurisdictions)])
