import time
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from patients.demo import MRN_PREFIX, seed_demo_clinic
from planner.demo.cycle import seed_demo_prices, seed_demo_responses
from planner.demo.sessions import seed_demo_conditions, seed_demo_sessions
from planner.models import Product


class Command(BaseCommand):
    help = (
        "Create a demo clinic: patients with visits about 12 weeks apart, Col-Cap postures, TWSTRS and Tsui, "
        f"side effects. Demo MRNs start with {MRN_PREFIX}; existing ones are skipped, so reruns duplicate nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=40, help="How many demo patients (default 40).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same clinic.")
        parser.add_argument(
            "--long-charts",
            type=int,
            default=0,
            help="Also create this many patients with 40 visits each (MRNs DEMOL0001, ...), for the benchmarks.",
        )
        parser.add_argument(
            "--today", type=date.fromisoformat, default=None, help="Seed as if today were this date (YYYY-MM-DD)."
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even though DEBUG is off. Never on a real clinic's server.",
        )

    def handle(self, *args, patients, seed, today, long_charts, allow_production, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Demo patients are fake; refusing because DEBUG is off. Pass --allow-production "
                "only for a throwaway demo server."
            )
        if patients < 0 or long_charts < 0:
            raise CommandError("--patients and --long-charts must be 0 or more.")
        users = get_user_model().objects
        nurse = users.filter(username="nurse").first()
        neurologist = users.filter(username="neurologist").first()
        started = time.monotonic()
        created, skipped = seed_demo_clinic(
            patients=patients,
            seed=seed,
            today=today or timezone.localdate(),
            recorded_by=nurse,
            long_charts=long_charts,
        )
        self.stdout.write(f"Demo clinic: {created} patients created, {skipped} already there (seed {seed}).")
        if neurologist is None or not Product.objects.exists():
            self.stderr.write(
                "No injection sessions: they need the reference data (manage.py loadreference) "
                "and the demo neurologist (manage.py seed_demo_users)."
            )
        else:
            sessions = seed_demo_sessions(seed=seed, signed_by=neurologist, prepared_by=nurse)
            self.stdout.write(f"Injection sessions: {sessions} signed sessions created.")
            responses = seed_demo_responses(seed=seed, recorded_by=nurse, today=today or timezone.localdate())
            prices = seed_demo_prices(acting_user=users.filter(username="refadmin").first())
            self.stdout.write(f"Cycle responses: {responses} created; demo vial prices: {prices} set.")
            made, doses = seed_demo_conditions(recorded_by=nurse, today=today)
            self.stdout.write(f"Conditions and medicines: {made} recorded; toxin given elsewhere: {doses} recorded.")
        if options["verbosity"] > 1:
            self.stdout.write(f"Seeded in {time.monotonic() - started:.1f} s.")
