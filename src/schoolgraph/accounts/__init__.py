"""API accounts, their grants and schools, keys and bearer tokens (the TASS model, tass.md §C).

``AccountService`` is the entry point; ``models`` holds the records and the :class:`Caller`
a request acts as; ``sqlite`` the store; ``web`` the HTTP side; ``cli`` the commands.
"""

from schoolgraph.accounts.models import ANONYMOUS, NOBODY, Account, AccountSchool, Caller, Grant
from schoolgraph.accounts.service import AccountInput, AccountService

__all__ = [
    "ANONYMOUS",
    "NOBODY",
    "Account",
    "AccountInput",
    "AccountSchool",
    "AccountService",
    "Caller",
    "Grant",
]
