"""Swarmdeck's speed at scale, measured against the real stack: `make bench` (see bench/README.md)."""
