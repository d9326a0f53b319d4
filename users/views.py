"""Placeholder: filled by the work on issue 16."""
