from django.core.management.base import BaseCommand, CommandError

from patients.audit.models import AuditEvent
from patients.audit.services import verify_chain


class Command(BaseCommand):
    help = "Check the audit trail's hash chain and name the first broken link."

    def handle(self, *args, **options):
        checked, broken, why = verify_chain()
        if why:
            where = f"entry #{broken.pk} ({broken})" if broken is not None else "the end of the chain"
            raise CommandError(f"Audit log broken at {where}: {why}. {checked} entries before it are intact.")
        self.stdout.write(f"Audit log intact: {checked} entries, every hash chained to the one before.")
        # The key stops anyone rewriting entries, but not someone deleting the newest ones and pointing the
        # head back: a copy of the newest hash kept off the database host (a log, a ticket) shows that.
        newest = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        if newest is not None:
            self.stdout.write(f"Newest entry #{newest[0]}, hash {newest[1]}: keep a copy off the database host.")
