"""Template filters that word a job through jobs.messages: ``{% load job_labels %}``."""

from django import template

from jobs.messages import job_title as _job_title

register = template.Library()


@register.filter
def job_title(job) -> str:
    """The job as a noun phrase ("Scaling of web"), in the reader's language."""
    return _job_title(job)
