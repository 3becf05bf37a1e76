"""Demo seeding: signed sessions, responses and prices for the demo clinic (`manage.py seed_demo`)."""
