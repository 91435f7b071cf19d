import os

from django.core.wsgi import get_wsgi_application

from tg.settings.env import check_settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tg.settings.production")
# A misspelt DJANGO_SETTINGS_MODULE stops the worker with one line naming it (gunicorn
# prints it under its traceback and stops: "Worker failed to boot").
check_settings_module()
application = get_wsgi_application()
