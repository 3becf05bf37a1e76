"""The audit trail's keyed hash chain.

Each entry is sealed with HMAC-SHA256 over its content and the previous entry's seal. The key
comes from the environment (AUDIT_HMAC_KEY) and is never stored in the database, so someone who
can write to the database but does not hold the key cannot delete or edit an entry and re-seal the
entries after it: `manage.py verify_audit_log` finds the first seal that does not match.

Rotation: each entry stores the short id of the key that sealed it. Set the new key as
AUDIT_HMAC_KEY and list the previous ones in AUDIT_HMAC_OLD_KEYS (comma-separated); new entries
use the new key, and verification checks each older entry with the key it names.

Plain functions over an entry's attributes, so the migration that re-sealed the existing entries
(0002_keyed_chain) uses them on its historical model too.
"""

import hashlib
import hmac
import json

from django.conf import settings

GENESIS_HASH = "0" * 64
# The entry fields a seal covers: every field but the seals and the key id.
SEALED_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "patient_id",
    "ip_address",
    "path",
    "changes",
    "reason",
)


def key_id(key):
    """A short public name for a key: enough to pick the right one, useless for guessing it."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def current_key():
    return settings.AUDIT_HMAC_KEY


def known_keys():
    """Every key verification may use, by id: the current one and AUDIT_HMAC_OLD_KEYS."""
    keys = [settings.AUDIT_HMAC_KEY, *settings.AUDIT_HMAC_OLD_KEYS]
    return {key_id(key): key for key in keys if key}


def content(event):
    """What the seal covers, in a stable form."""
    values = {name: getattr(event, name) for name in SEALED_FIELDS}
    values["occurred_at"] = event.occurred_at.isoformat()
    return values


def seal(event, previous_hash, key):
    payload = json.dumps(content(event), sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key.encode(), f"{previous_hash}|{payload}".encode(), hashlib.sha256).hexdigest()
