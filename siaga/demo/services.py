"""Loads demo organisations and one login per role; domains add their own demo data.

Idempotent: a second load changes nothing, so ``./scripts/run`` can call it every time.
"""

from __future__ import annotations

from siaga.accounts import services as accounts
from siaga.accounts.models import OrgType, Role

#: The demo logins printed by ./scripts/run. Demo only: never use on a real server.
DEMO_PASSWORD = "siaga-demo-2026"  # noqa: S105
DEMO_USERS = [
    ("admin@siaga.example", "Admin Siaga", Role.ADMIN, "Polres Musi Banyuasin"),
    ("koordinator@siaga.example", "Ipda Rahmat (Koordinator)", Role.COORDINATOR, "Polres Musi Banyuasin"),
    ("bpbd@siaga.example", "Sri Wahyuni (BPBD)", Role.PARTNER, "BPBD Kabupaten Musi Banyuasin"),
    ("lapangan@siaga.example", "Brigpol Andi (Tim Lapangan)", Role.FIELD, "Polres Musi Banyuasin"),
]
DEMO_ORGS = [
    ("Polres Musi Banyuasin", OrgType.POLRES, "16.06"),
    ("BPBD Kabupaten Musi Banyuasin", OrgType.BPBD, "16.06"),
    ("BPBD Kota Palembang", OrgType.BPBD, "16.71"),
    ("BPBD Kabupaten Solok", OrgType.BPBD, "13.02"),
    ("PMI Sumatera Selatan", OrgType.PMI, "16"),
    ("Basarnas Palembang", OrgType.BASARNAS, "16"),
]


def load_demo() -> list[str]:
    """Load what is missing; return a line per thing created."""
    created: list[str] = []
    orgs = {}
    for name, org_type, region in DEMO_ORGS:
        orgs[name] = accounts.get_or_create_organisation(name, org_type, region)
    for email, name, role, org_name in DEMO_USERS:
        if accounts.get_user_by_email(email) is None:
            accounts.create_user(
                email=email, name=name, password=DEMO_PASSWORD, role=role, organisation=orgs[org_name]
            )
            created.append(f"user {email}")
    from siaga.regions.services import load_seed_regions
    from siaga.registry.demo import load_registry_demo

    added = load_seed_regions()
    if added:
        created.append(f"{added} regions")
    created.extend(load_registry_demo())
    from siaga.aid.demo import load_aid_demo

    created.extend(load_aid_demo())
    return created
