"""Message templates in Bahasa Indonesia and English, filled from an event's facts.

Plain text (chat channels do not render markup). Hazard messages always end with
"Sumber: BMKG" (BMKG's terms require the credit wherever its data is shown).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, StrictUndefined, Template

_env = Environment(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True)  # noqa: S701 - plain text, never HTML

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "earthquake": {
        "id": (
            "{{ 'LATIHAN: ' if exercise else '' }}{{ 'BERPOTENSI TSUNAMI: ' if tsunami_potential else '' }}"
            "Gempa M{{ magnitude }} {{ place }}",
            "{{ 'LATIHAN - ' if exercise else '' }}GEMPA M{{ magnitude }}, kedalaman {{ depth_km }} km\n"
            "{% if tsunami_potential %}BERPOTENSI TSUNAMI: jauhi pantai, siapkan evakuasi ke tempat tinggi / TES, "
            "pantau peringatan dini tsunami BMKG.\n{% endif %}"
            "{{ place }}\nWaktu: {{ time_local }}\n"
            "Perkiraan intensitas tertinggi di wilayah kita: MMI {{ max_mmi }}\n"
            "{% if shelters %}Posko terdampak ({{ shelters|length }}), {{ people }} pengungsi:\n"
            "{% for s in shelters[:5] %}- {{ s.name }} (MMI {{ s.mmi }}, {{ s.people }} org)\n{% endfor %}{% endif %}"
            "{{ potential }}\nSumber: BMKG",
        ),
        "en": (
            "{{ 'EXERCISE: ' if exercise else '' }}{{ 'TSUNAMI POTENTIAL: ' if tsunami_potential else '' }}"
            "M{{ magnitude }} earthquake {{ place }}",
            "{{ 'EXERCISE - ' if exercise else '' }}EARTHQUAKE M{{ magnitude }}, depth {{ depth_km }} km\n"
            "{% if tsunami_potential %}TSUNAMI POTENTIAL: keep away from the coast, prepare to evacuate to high "
            "ground / a TES, watch BMKG's tsunami warnings.\n{% endif %}"
            "{{ place }}\nTime: {{ time_local }}\n"
            "Highest estimated intensity in our area: MMI {{ max_mmi }}\n"
            "{% if shelters %}Affected shelters ({{ shelters|length }}), {{ people }} displaced people:\n"
            "{% for s in shelters[:5] %}- {{ s.name }} (MMI {{ s.mmi }}, {{ s.people }} people)\n{% endfor %}{% endif %}"
            "Source: BMKG (Sumber: BMKG)",
        ),
    },
    "tsunami": {
        "id": (
            "{{ 'LATIHAN: ' if exercise else '' }}PERINGATAN TSUNAMI {{ level }} - {{ message_type }}",
            "{{ 'LATIHAN - ' if exercise else '' }}PERINGATAN DINI TSUNAMI {{ message_type }}\n"
            "Gempa M{{ magnitude }} {{ place }}, {{ time_local }}\n"
            "{% for a in areas[:8] %}- {{ a.level }}: {{ a.district }} ({{ a.province }})\n{% endfor %}"
            "{% if level in ['AWAS', 'SIAGA'] %}SEGERA EVAKUASI ke tempat tinggi / TES terdekat.\n{% endif %}"
            "{% if tes_points %}TES terdekat: {{ tes_points|join(', ') }}\n{% endif %}Sumber: BMKG",
        ),
        "en": (
            "{{ 'EXERCISE: ' if exercise else '' }}TSUNAMI WARNING {{ level }} - {{ message_type }}",
            "{{ 'EXERCISE - ' if exercise else '' }}TSUNAMI EARLY WARNING {{ message_type }}\n"
            "M{{ magnitude }} earthquake {{ place }}, {{ time_local }}\n"
            "{% for a in areas[:8] %}- {{ a.level }}: {{ a.district }} ({{ a.province }})\n{% endfor %}"
            "{% if level in ['AWAS', 'SIAGA'] %}EVACUATE NOW to high ground / the nearest TES.\n{% endif %}"
            "Source: BMKG (Sumber: BMKG)",
        ),
    },
    "weather": {
        "id": (
            "Peringatan cuaca: {{ event }}",
            "PERINGATAN DINI CUACA ({{ severity_label }})\n{{ headline }}\nBerlaku: {{ effective_local }} s.d. {{ expires_local }}\n"
            "{% if districts %}Kecamatan: {{ districts[:10]|join(', ') }}\n{% endif %}"
            "{% if shelters %}Posko di area peringatan: {{ shelters|length }} ({{ people }} pengungsi)\n{% endif %}Sumber: BMKG",
        ),
        "en": (
            "Weather warning: {{ event }}",
            "WEATHER WARNING ({{ severity_label }})\n{{ headline }}\nValid: {{ effective_local }} to {{ expires_local }}\n"
            "{% if districts %}Districts: {{ districts[:10]|join(', ') }}\n{% endif %}"
            "{% if shelters %}Shelters in the warning area: {{ shelters|length }} ({{ people }} displaced)\n{% endif %}"
            "Source: BMKG (Sumber: BMKG)",
        ),
    },
    "shelter_full": {
        "id": (
            "Posko penuh: {{ name }}",
            "Posko {{ name }} PENUH ({{ occupants }}/{{ capacity }}). Arahkan pengungsi ke posko lain.",
        ),
        "en": (
            "Shelter full: {{ name }}",
            "Shelter {{ name }} is FULL ({{ occupants }}/{{ capacity }}). Direct people elsewhere.",
        ),
    },
    "shelter_opened": {
        "id": (
            "Posko dibuka: {{ name }}",
            "Posko {{ name }} DIBUKA. Kapasitas {{ capacity }} orang. {{ address }}",
        ),
        "en": (
            "Shelter opened: {{ name }}",
            "Shelter {{ name }} is OPEN. Capacity {{ capacity }} people. {{ address }}",
        ),
    },
    "aid_dispatched": {
        "id": (
            "Bantuan dikirim ke {{ shelter }}",
            "Bantuan {{ code }} dikirim dari {{ depot }} ke {{ shelter }}:\n"
            "{% for i in items %}- {{ i.name }}: {{ i.quantity }} {{ i.unit }}\n{% endfor %}"
            "Berangkat: {{ dispatched_local }}{% if vehicle %}, kendaraan {{ vehicle }}{% endif %}",
        ),
        "en": (
            "Aid dispatched to {{ shelter }}",
            "Aid {{ code }} dispatched from {{ depot }} to {{ shelter }}:\n"
            "{% for i in items %}- {{ i.name }}: {{ i.quantity }} {{ i.unit }}\n{% endfor %}"
            "Left: {{ dispatched_local }}{% if vehicle %}, vehicle {{ vehicle }}{% endif %}",
        ),
    },
    "aid_delivered": {
        "id": (
            "Bantuan diterima di {{ shelter }}",
            "Bantuan {{ code }} diterima di {{ shelter }} oleh {{ receiver }}, {{ delivered_local }}:\n"
            "{% for i in items %}- {{ i.name }}: {{ i.received }} {{ i.unit }}"
            "{% if i.shortfall %} (kurang {{ i.shortfall }} dari {{ i.quantity }}){% endif +%}\n{% endfor %}",
        ),
        "en": (
            "Aid delivered to {{ shelter }}",
            "Aid {{ code }} delivered to {{ shelter }}, received by {{ receiver }}, {{ delivered_local }}:\n"
            "{% for i in items %}- {{ i.name }}: {{ i.received }} {{ i.unit }}"
            "{% if i.shortfall %} ({{ i.shortfall }} short of {{ i.quantity }}){% endif +%}\n{% endfor %}",
        ),
    },
    "feed_down": {
        "id": (
            "Umpan BMKG bermasalah: {{ feed }}",
            "{% if silent %}Umpan data {{ feed }} tidak berhasil diambil sejak {{ since }}. Periksa worker dan beat Celery"
            "{% else %}Umpan data {{ feed }} gagal {{ failures }} kali sejak {{ since }}. Periksa koneksi{% endif %}"
            "; pantau info BMKG lewat saluran lain.",
        ),
        "en": (
            "BMKG feed down: {{ feed }}",
            "{% if silent %}The {{ feed }} feed has not been fetched successfully since {{ since }}. Check the Celery worker and beat"
            "{% else %}The {{ feed }} feed failed {{ failures }} times since {{ since }}. Check connectivity{% endif %}"
            "; watch BMKG through other channels.",
        ),
    },
    "broadcast": {
        "id": ("{{ subject }}", "{{ text }}"),
        "en": ("{{ subject }}", "{{ text }}"),
    },
    "not_acknowledged": {
        "id": (
            "Belum dikonfirmasi: {{ subject }}",
            '{{ count }} penerima belum mengonfirmasi "{{ subject }}" setelah {{ minutes }} menit: {{ names }}',
        ),
        "en": (
            "Not acknowledged: {{ subject }}",
            '{{ count }} recipients have not acknowledged "{{ subject }}" after {{ minutes }} minutes: {{ names }}',
        ),
    },
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_id: str
    body_en: str


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    """Each template source compiled once per process (compiling costs milliseconds)."""
    return _env.from_string(source)


def render(kind: str, facts: dict[str, Any]) -> Rendered:
    """Fill the Indonesian and English template of ``kind``; a missing fact raises."""
    t = TEMPLATES[kind]
    subject = _compiled(t["id"][0]).render(**facts).strip()
    body_id = _compiled(t["id"][1]).render(**facts).strip()
    body_en = _compiled(t["en"][1]).render(**facts).strip()
    return Rendered(subject=subject[:300], body_id=body_id, body_en=body_en)
