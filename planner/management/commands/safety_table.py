"""Print the README's table of every safety check per product, or write it into the README."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from planner.reference.safety_table import ReadmeMarkersMissing, render_markdown, with_table

README = Path(settings.BASE_DIR) / "README.md"


class Command(BaseCommand):
    help = (
        "Render the table of every safety check per product from the loaded reference data (run loadreference "
        "first); with --write-readme, replace the README's section between its safety-table markers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--write-readme", action="store_true", help=f"rewrite the table in {README}")

    def handle(self, *args, write_readme=False, **options):
        table = render_markdown()
        if not write_readme:
            self.stdout.write(table, ending="")
            return
        try:
            text = with_table(README.read_text(encoding="utf-8"), table)
        except ReadmeMarkersMissing as error:
            raise CommandError(str(error)) from None
        README.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote the safety table to {README}.")
