"""What a catalogue alone cannot say about a language: the panel's few rules for joining words."""

from __future__ import annotations

from django.utils.translation import get_language, gettext_noop

# Django's forms end each label with gettext(":"), which its own Chinese catalogue leaves as the
# ASCII colon; marked here so ours holds the full-width one (：), which takes precedence.
LABEL_SUFFIX = gettext_noop(":")


def sentences_join(sentences: list[str]) -> str:
    """Whole sentences one after another, as the language separates them: Chinese puts no space
    after its full stop (a catalogue cannot say so: an empty translation means "untranslated")."""
    return ("" if (get_language() or "").startswith("zh") else " ").join(sentences)
