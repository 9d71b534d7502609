"""Stored values (roles, statuses, kinds) are shown in Indonesian, never as raw English codes."""

from __future__ import annotations

import re

from siaga.hazards.services import process_report
from tests.conftest import login
from tests.hazards.reports import SEKAYU, quake


def test_role_and_status_filters_are_labelled(client, users):
    login(client, users["coordinator"].email)
    page = client.get("/shelters").get_data(as_text=True)
    assert '<em data-role="coordinator">Koordinator</em>' in page
    options = dict(re.findall(r'<option value="(standby|open|full|closed)"[^>]*>([^<]+)</option>', page))
    assert set(options) == {"standby", "open", "full", "closed"}
    assert all(options[k] != k for k in ("open", "full", "closed")), options
    points = client.get("/points").get_data(as_text=True)
    labels = dict(re.findall(r'<option value="(active|inactive|damaged)"[^>]*>([^<]+)</option>', points))
    assert labels and all(labels[k] != k for k in labels), labels


def test_recipient_choices_and_impact_types_are_labelled(client, users, make_shelter):
    login(client, users["coordinator"].email)
    page = client.get("/recipients").get_data(as_text=True)
    assert '<option value="earthquake">Gempa</option>' in page
    assert '<option value="coordinator">Koordinator</option>' in page
    assert '<option value="manual">Dipilih manual</option>' in page
    make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1])
    ev, _, _ = process_report(quake())
    detail = client.get(f"/hazards/{ev.id}").get_data(as_text=True)
    impacts = detail[detail.index('class="table impacts"') :]
    assert "<td>Posko</td>" in impacts and "<td>shelter</td>" not in impacts
    assert "<td>Kecamatan</td>" in impacts and "<td>district</td>" not in impacts
