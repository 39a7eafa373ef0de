"""Who is asking: a practitioner or a participant, as established by their session."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Staff:
    id: str
    username: str
    role: str  # 'specialist' | 'volunteer'
    session: str = ""  # token hash of the session in use

    @property
    def is_specialist(self) -> bool:
        return self.role == "specialist"

    @property
    def label(self) -> str:
        """How the actor is named in the audit chain (a username is not a party's detail)."""
        return f"staff:{self.username}"


@dataclass(frozen=True, slots=True)
class Party:
    id: str  # participant id
    case_id: str
    role: str  # 'harmed' | 'responsible' | 'supporter'
    supports: str | None = None
    session: str = ""

    @property
    def principal_id(self) -> str:
        """The principal whose side this participant is on (themself, or whom they support)."""
        return self.supports or self.id

    @property
    def label(self) -> str:
        return f"party:{self.id}"


Actor = Staff | Party
SYSTEM = "system"
