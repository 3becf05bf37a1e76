from django.core.management.base import BaseCommand, CommandError

from patients.audit.services import verify_chain


class Command(BaseCommand):
    help = "Check the audit trail's hash chain and name the first broken link."

    def handle(self, *args, **options):
        checked, broken, why = verify_chain()
        if why:
            where = f"entry #{broken.pk} ({broken})" if broken is not None else "the end of the chain"
            raise CommandError(f"Audit log broken at {where}: {why}. {checked} entries before it are intact.")
        self.stdout.write(f"Audit log intact: {checked} entries, every hash chained to the one before.")
