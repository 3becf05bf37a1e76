import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")

application = get_wsgi_application()

# The objects loaded so far (Django, the apps, their models) live as long as the process: move them out
# of the collector's reach, so that full collections triggered by a page's allocations do not walk them
# every time (about 4 ms per chart request in a profile).
gc.freeze()
