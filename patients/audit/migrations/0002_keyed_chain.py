"""Key the audit hash chain: each entry is re-sealed with HMAC-SHA256 under AUDIT_HMAC_KEY.

Before this migration the chain was plain SHA-256, which anyone with database access could
recompute. The existing entries are checked first under the old scheme (a broken chain is refused:
re-sealing it would hide the break), then re-sealed oldest first with the key this migration runs
with, which becomes the key they name. Run it with the production key set; entries re-sealed with a
different key (a development copy, say) verify only where that key is listed in AUDIT_HMAC_OLD_KEYS.

The seal is written out here as patients/audit/chain.py had it when this migration was written, so a
later change to the chain's code cannot change what this migration does to an old database.
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.db import migrations, models

GENESIS_HASH = "0" * 64
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


def content(event):
    values = {name: getattr(event, name) for name in SEALED_FIELDS}
    values["occurred_at"] = event.occurred_at.isoformat()
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)


def plain_sha256(event, previous_hash):
    """The unkeyed seal this migration replaces."""
    return hashlib.sha256(f"{previous_hash}|{content(event)}".encode()).hexdigest()


def keyed_seal(event, previous_hash, key):
    return hmac.new(key.encode(), f"{previous_hash}|{content(event)}".encode(), hashlib.sha256).hexdigest()


def reseal(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    key = settings.AUDIT_HMAC_KEY
    key_id = hashlib.sha256(key.encode()).hexdigest()[:8]
    old_previous = new_previous = GENESIS_HASH
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.previous_hash != old_previous or plain_sha256(event, old_previous) != event.hash:
            raise RuntimeError(
                f"The audit chain is already broken at entry #{event.pk}; re-sealing it would hide that. "
                "Investigate with `manage.py verify_audit_log` on the previous release first."
            )
        old_previous = event.hash
        event.previous_hash = new_previous
        event.hash = keyed_seal(event, new_previous, key)
        event.key_id = key_id
        # The historical model has none of AuditEvent's guards; a row-by-row save keeps "hash" unique.
        event.save(update_fields=["previous_hash", "hash", "key_id"])
        new_previous = event.hash
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None:
        if head.last_hash != old_previous:
            raise RuntimeError("The audit chain head does not match its newest entry; re-sealing would hide that.")
        head.last_hash = new_previous
        head.save(update_fields=["last_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(default="", max_length=8, verbose_name="key id"),
            preserve_default=False,
        ),
        migrations.RunPython(reseal, migrations.RunPython.noop),
        # Reading the entries about patients becomes a permission of its own (audit scoping).
        migrations.AlterModelOptions(
            name="auditevent",
            options={
                "ordering": ["-id"],
                "permissions": [
                    ("view_audit_report", "Can read the audit report"),
                    ("view_clinical_audit", "Can read the audit entries about patients"),
                ],
            },
        ),
    ]
