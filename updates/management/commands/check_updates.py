from django.core.management.base import BaseCommand

from updates.runners import update_check_request


class Command(BaseCommand):
    help = "Check every followed image tag now (the Updates page's Check now); the worker runs the job."

    def handle(self, *args, **options):
        job = update_check_request()
        self.stdout.write(f"job {job.id}")
