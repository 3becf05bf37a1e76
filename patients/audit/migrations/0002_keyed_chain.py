"""Key the audit hash chain: each entry is re-sealed with HMAC-SHA256 under AUDIT_HMAC_KEY.

Before this migration the chain was plain SHA-256, which anyone with database access could
recompute. The existing entries are checked first under the old scheme (a broken chain is refused:
re-sealing it would hide the break), then re-sealed oldest first with the key this migration runs
with, which becomes the key they name. Run it with the production key set; entries re-sealed with a
different key (a development copy, say) verify only where that key is listed in AUDIT_HMAC_OLD_KEYS.
"""

import hashlib
import json

from django.db import migrations, models

from patients.audit import chain


def plain_sha256(event, previous_hash):
    """The unkeyed seal this migration replaces."""
    payload = json.dumps(chain.content(event), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous_hash}|{payload}".encode()).hexdigest()


def reseal(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    key = chain.current_key()
    key_id = chain.key_id(key)
    old_previous = new_previous = chain.GENESIS_HASH
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.previous_hash != old_previous or plain_sha256(event, old_previous) != event.hash:
            raise RuntimeError(
                f"The audit chain is already broken at entry #{event.pk}; re-sealing it would hide that. "
                "Investigate with `manage.py verify_audit_log` on the previous release first."
            )
        old_previous = event.hash
        event.previous_hash = new_previous
        event.hash = chain.seal(event, new_previous, key)
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
