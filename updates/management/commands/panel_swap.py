from django.core.management.base import BaseCommand

from updates.swap import panel_swap


class Command(BaseCommand):
    help = "Replace the panel's container with the job's new image; put it back if not healthy (the update helper)."

    def add_arguments(self, parser):
        parser.add_argument("job_id", type=int)

    def handle(self, *args, job_id, **options):
        panel_swap(job_id=job_id)
