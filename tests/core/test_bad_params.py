"""Junk in query strings and form fields never answers 500 (issue 7, item 8).

``str.isdigit()`` before ``int()`` let through "²" (int() raises), "٣" (int() accepts another
script's digit) and numbers too large for a database id (OverflowError). Pages fall back to
their default or show the field error; the API answers 422 with field errors.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from siaga.core.params import parse_id, parse_ids, parse_int, parse_region
from siaga.extensions import db
from tests.conftest import login
from tests.test_permissions import all_routes

SUPER = "²"  # str.isdigit() is True, int() raises ValueError
ARABIC = "٣"  # str.isdigit() is True, int() gives 3
HUGE = "99999999999999999999"  # beyond any database integer: OverflowError as an id


# ---------------------------------------------------------------- the shared helper


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7", 7),
        (" 12 ", 12),
        ("-3", None),  # below the bounds
        ("0", None),
        ("91", None),
        (SUPER, None),
        (ARABIC, None),
        ("1_0", None),
        ("+5", None),
        ("12.0", None),
        ("", None),
        (None, None),
        (7, None),  # not text
        (HUGE, None),
        ("1" * 5000, None),  # int() itself refuses more than 4300 digits
    ],
)
def test_parse_int_takes_ascii_digits_within_bounds(raw, expected):
    assert parse_int(raw, 1, 90) == expected


def test_parse_id_stays_in_the_database_range():
    assert parse_id("2147483647") == 2147483647
    assert parse_id("2147483648") is None and parse_id(HUGE) is None and parse_id("0") is None
    assert parse_ids(["3", SUPER, HUGE, "3", "", "5", ARABIC]) == [3, 5]


def test_parse_region_is_ascii():
    assert parse_region("16.06") == "16.06" and parse_region("16") == "16"
    assert parse_region("١٦.٠٦") is None and parse_region("16.") is None and parse_region("1" * 14) is None


# ---------------------------------------------------------------- pages: the default instead


def _selected_days(page: str) -> str:
    match = re.search(r'<option value="(\d+)" selected>', page.split('name="days"', 1)[1])
    assert match, "no selected period"
    return match.group(1)


@pytest.mark.parametrize("junk", [SUPER, ARABIC, HUGE, "abc"])
def test_aid_dashboard_bad_days_falls_back_to_a_week(client, users, junk):
    login(client, users["coordinator"].email)
    resp = client.get(f"/aid?days={junk}")
    assert resp.status_code == 200
    assert _selected_days(resp.get_data(as_text=True)) == "7"


@pytest.mark.parametrize("junk", [SUPER, ARABIC, HUGE])
def test_transparency_bad_days_and_region_fall_back(client, junk):
    resp = client.get(f"/transparency/aid?days={junk}&region=١٦.٠٦")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert _selected_days(page) == "30"
    regions = page.split('name="region"', 1)[1].split("</select>", 1)[0]
    assert "selected" not in regions  # the junk region is no filter


@pytest.mark.parametrize("junk", [SUPER, ARABIC, HUGE])
def test_shelter_needs_page_bad_days(client, users, make_shelter, junk):
    shelter = make_shelter(name="Posko Uji")
    login(client, users["coordinator"].email)
    assert client.get(f"/aid/shelters/{shelter.id}/needs?days={junk}").status_code == 200
    assert client.get(f"/shelters/{shelter.id}?days={junk}").status_code == 200


@pytest.mark.parametrize("junk", [SUPER, ARABIC, HUGE, "-1"])
def test_distribution_form_ignores_a_bad_request_id(client, users, junk):
    login(client, users["coordinator"].email)
    resp = client.get(f"/aid/distributions/new?request_id={junk}&shelter_id={junk}")
    assert resp.status_code == 200


@pytest.mark.parametrize("junk", [SUPER, HUGE])
def test_distribution_post_with_bad_shelter_id_is_a_field_error(client, users, junk):
    from siaga.aid.models import Distribution

    login(client, users["coordinator"].email)
    before = db.session.scalar(select(func.count()).select_from(Distribution))
    resp = client.post(
        "/aid/distributions/new",
        data={
            "shelter_id": junk,
            "depot_id": junk,
            "planned_at": "2026-11-23T10:00",
            "item_id": "1",
            "quantity": "1",
        },
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "<code>shelter_id</code>" in page and "<code>depot_id</code>" in page  # the errors box
    assert db.session.scalar(select(func.count()).select_from(Distribution)) == before


@pytest.mark.parametrize("junk", [SUPER, ARABIC, HUGE, "abc", "0"])
def test_audit_bad_page_is_the_first_page(client, users, junk):
    login(client, users["coordinator"].email)
    resp = client.get(f"/audit?page={junk}")
    assert resp.status_code == 200


@pytest.mark.parametrize("path", ["/shelters", "/points"])
@pytest.mark.parametrize("junk", [SUPER, ARABIC, HUGE])
def test_registry_lists_bad_page_and_min_free(client, users, path, junk):
    login(client, users["coordinator"].email)
    assert client.get(f"{path}?page={junk}&min_free={junk}").status_code == 200


# ---------------------------------------------------------------- forms: a field error, nothing saved


@pytest.mark.parametrize("junk", [SUPER, ARABIC, HUGE, "abc"])
def test_shelter_form_bad_owner_is_a_field_error(client, users, junk):
    from siaga.registry.models import Shelter

    login(client, users["coordinator"].email)
    form = {
        "code": "BAD-1",
        "name": "Masjid Uji",
        "type": "worship",
        "status": "standby",
        "lat": "-2.8833",
        "lon": "103.85",
        "capacity": "150",
        "owner_org_id": junk,
    }
    resp = client.post("/shelters/new", data=form)
    assert resp.status_code == 422
    assert "<code>owner_org_id</code>" in resp.get_data(as_text=True)  # the errors box
    assert db.session.scalar(select(Shelter).where(Shelter.code == "BAD-1")) is None


@pytest.mark.parametrize("junk", [SUPER, ARABIC, HUGE])
def test_assign_bad_user_id_flashes(client, users, make_shelter, junk):
    shelter = make_shelter(name="Posko Tugas")
    login(client, users["coordinator"].email)
    resp = client.post(f"/shelters/{shelter.id}/assign", data={"user_id": junk}, follow_redirects=True)
    assert resp.status_code == 200
    assert (
        "field-team" in resp.get_data(as_text=True) or "tim lapangan" in resp.get_data(as_text=True).lower()
    )


@pytest.mark.parametrize("junk", [SUPER, ARABIC, HUGE])
def test_compose_with_bad_recipient_ids_asks_for_recipients(client, users, junk):
    login(client, users["coordinator"].email)
    resp = client.post(
        "/messages/new",
        data={
            "subject": "Uji",
            "text": "Teks",
            "groups": [junk],
            "contacts": [junk, "2147483648"],
            "severity": junk,
            "action": "preview",
        },
    )
    assert resp.status_code == 422


@pytest.mark.parametrize("junk", [SUPER, ARABIC, HUGE, "2147483647"])
def test_recipients_forms_with_bad_ids(client, users, junk):
    from siaga.messaging.models import Contact, Group, GroupMember, Subscription

    login(client, users["coordinator"].email)
    resp = client.post(
        "/recipients",
        data={"what": "contact", "name": "Pak Uji", "phone": "081234567890", "organisation_id": junk},
    )
    assert resp.status_code == 422
    assert db.session.scalar(select(Contact).where(Contact.name == "Pak Uji")) is None

    contact = Contact(name="Bu Ada", phone="6281234567891")
    db.session.add(contact)
    db.session.flush()
    resp = client.post(
        "/recipients",
        data={
            "what": "group",
            "name": "Grup Uji",
            "kind": "manual",
            "organisation_id": "",
            "members": [junk, str(contact.id), str(contact.id), "2147483647"],
        },
    )
    assert resp.status_code == 302
    group = db.session.scalars(select(Group).where(Group.name == "Grup Uji")).one()
    members = db.session.scalars(select(GroupMember.contact_id).where(GroupMember.group_id == group.id)).all()
    assert members == [contact.id]

    for data in (
        {"region_code": "16.06", "group_id": junk, "min_severity": "2"},
        {"region_code": "16.06", "group_id": str(group.id), "min_severity": junk},
    ):
        resp = client.post("/recipients", data={"what": "subscription", "hazard_kind": "any", **data})
        assert resp.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0


# ---------------------------------------------------------------- API: 422 with field errors


@pytest.mark.parametrize("junk", [SUPER, ARABIC, HUGE, "0", "91", ""])
def test_needs_api_bad_days_is_422(client, users, make_shelter, junk):
    shelter = make_shelter(name="Posko API")
    login(client, users["coordinator"].email)
    resp = client.get(f"/api/v1/aid/shelters/{shelter.id}/needs?days={junk}")
    assert resp.status_code == 422
    assert "days" in resp.get_json()["fields"]
    assert client.get(f"/api/v1/aid/shelters/{shelter.id}/needs?days=14").status_code == 200


@pytest.mark.parametrize(
    ("args", "field"), [(f"zoom={SUPER}", "zoom"), (f"zoom={ARABIC}", "zoom"), ("region=١٦.٠٦", "region")]
)
def test_map_data_bad_view_is_422(client, users, args, field):
    login(client, users["coordinator"].email)
    resp = client.get(f"/map/data/shelters?bbox=100,-4,106,0&{args}")
    assert resp.status_code == 422


# ---------------------------------------------------------------- every GET route × every role


#: Every query argument name the views read as a number, an id or a code.
JUNK_NAMES = (
    "page",
    "days",
    "request_id",
    "shelter_id",
    "min_free",
    "zoom",
    "region",
    "profile",
    "status",
    "sort",
    "new",
    "limit",
    "offset",
    "k",
    "since",
    "hours",
)


def _junk_query(value: str) -> str:
    from urllib.parse import urlencode

    return urlencode(dict.fromkeys(JUNK_NAMES, value))


@pytest.mark.parametrize("role", ["anon", "admin", "coordinator", "partner", "field"])
def test_no_get_route_answers_500_to_junk(client, users, route_objects, role):
    if role != "anon":
        assert login(client, users[role].email).status_code == 302
    objects = route_objects(role)
    failures: list[str] = []
    answered: dict[int, int] = {}
    for endpoint, entries in all_routes().items():
        for method, path, _expect in entries:
            if method != "GET" or endpoint == "static":
                continue
            url = path.format(**objects)
            for value in (SUPER, ARABIC, HUGE, "١٦.٠٦"):
                sep = "&" if "?" in url else "?"
                try:  # TESTING propagates a view's exception instead of answering 500
                    resp = client.get(f"{url}{sep}{_junk_query(value)}")
                except Exception as exc:  # collect every route's failure, then assert
                    failures.append(f"{url} {value!r}: {type(exc).__name__}: {exc}")
                    continue
                resp.close()
                answered[resp.status_code] = answered.get(resp.status_code, 0) + 1
                if resp.status_code >= 500:
                    failures.append(f"{url} {value!r}: {resp.status_code}")
    assert not failures, "\n".join(failures)
    assert answered.get(200, 0) >= (4 if role == "anon" else 40), answered  # the views did run
