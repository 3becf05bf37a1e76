from django.core.management.base import BaseCommand, CommandError

from planner.reference.loader import CLINICAL_REFERENCE, ReferenceDataError, load_reference


class Command(BaseCommand):
    help = (
        "Load the shipped reference data set (muscles, patterns, rules, products, limits, doses, diluent "
        "volumes, cautions, sources). Safe to run again: it reports what it created, updated and left "
        "unchanged, keeps rows a reference admin edited since they were loaded, and never deletes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Overwrite rows a reference admin has edited since they were loaded with the shipped values.",
        )

    def handle(self, *args, force=False, **options):
        try:
            version, reports = load_reference(force=force)
        except ReferenceDataError as error:
            raise CommandError(f"The shipped reference data is inconsistent; nothing was loaded. {error}") from None
        self.stdout.write(f"Reference set {version} ({CLINICAL_REFERENCE.name}):")
        for report in reports:
            self.stdout.write(f"  {report.summary()}")
        kept = [(report.name, key) for report in reports for key in report.kept]
        if kept:
            self.stdout.write(
                self.style.WARNING(
                    f"Kept {len(kept)} row(s) a reference admin edited since they were loaded "
                    "(run with --force to replace them with the shipped values):"
                )
            )
            for name, key in kept:
                self.stdout.write(f"  {name}: {' / '.join(str(part) for part in key)}")
