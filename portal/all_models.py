"""Import every model so the metadata is complete (migrations and schema tests only)."""

from portal.agencies.models import Agency
from portal.auth.models import LoginThrottle, UserIdentity, UserSession
from portal.users.models import User, UserRole

__all__ = ["Agency", "LoginThrottle", "User", "UserIdentity", "UserRole", "UserSession"]
