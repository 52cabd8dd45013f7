"""Fictional CLR 2.0 transcripts built from the openbadges3 sample credentials.

`sample_clrs(n, per_clr, seed)` yields `n` ClrCredential dicts, each wrapping `per_clr` embedded
OpenBadgeCredentials for one learner from one issuer country. Deterministic per seed.
"""
from __future__ import annotations

import random
import uuid
from collections.abc import Iterator

from connectors.openbadges3.samples import sample_credential

CLR_CONTEXT = ["https://www.w3.org/ns/credentials/v2",
               "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]


def sample_clrs(n: int, per_clr: int = 5, seed: int = 0,
                jurisdictions=("ZA", "DE", "IN", "GB", "NL")) -> Iterator[dict]:
    rng = random.Random(seed)
    for i in range(n):
        country = jurisdictions[i % len(jurisdictions)]
        creds = [sample_credential(rng, i * per_clr + k, country) for k in range(per_clr)]
        first = creds[0]
        subject = first["credentialSubject"]
        for cr in creds[1:]:   # one learner per CLR
            cs = cr["credentialSubject"]
            for key in ("id", "givenName", "familyName", "dateOfBirth", "identifier"):
                cs[key] = subject[key]
        issuer = first["issuer"]
        yield {
            "@context": list(CLR_CONTEXT),
            "id": f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            "type": ["VerifiableCredential", "ClrCredential"],
            "name": f"Comprehensive Learner Record from {issuer['name']}",
            "issuer": issuer,
            "validFrom": max(c["validFrom"] for c in creds),
            "credentialSubject": {
                "id": subject["id"], "type": ["ClrSubject"],
                "identifier": subject["identifier"],
                "verifiableCredential": creds,
                "achievement": [c["credentialSubject"]["achievement"] for c in creds],
            },
        }
