"""``python -m clipper`` runs the command line."""

from .cli import main

main()
