from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from patients.demo import MRN_PREFIX, seed_demo_clinic


class Command(BaseCommand):
    help = (
        "Create a demo clinic: patients with visits about 12 weeks apart, Col-Cap postures, TWSTRS and Tsui, "
        f"side effects. Demo MRNs start with {MRN_PREFIX}; existing ones are skipped, so reruns duplicate nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=40, help="How many demo patients (default 40).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same clinic.")
        parser.add_argument(
            "--today", type=date.fromisoformat, default=None, help="Seed as if today were this date (YYYY-MM-DD)."
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even though DEBUG is off. Never on a real clinic's server.",
        )

    def handle(self, *args, patients, seed, today, allow_production, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Demo patients are fake; refusing because DEBUG is off. Pass --allow-production "
                "only for a throwaway demo server."
            )
        if patients < 0:
            raise CommandError("--patients must be 0 or more.")
        nurse = get_user_model().objects.filter(username="nurse").first()
        created, skipped = seed_demo_clinic(
            patients=patients, seed=seed, today=today or timezone.localdate(), recorded_by=nurse
        )
        self.stdout.write(f"Demo clinic: {created} patients created, {skipped} already there (seed {seed}).")
