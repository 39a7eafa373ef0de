"""What participants send: activation, sign-in, letters and their preferences."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from relay import config
from relay.inputs.fields import Input, Kind, Text, Time

Passphrase = Annotated[str, Field(min_length=10, max_length=1024)]


class PartyActivate(Input):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    passphrase: Passphrase


class PartyLogin(Input):
    login: Annotated[str, Field(min_length=1, max_length=64)]
    passphrase: Annotated[str, Field(max_length=1024)]


class NewItem(Input):
    kind: Kind
    body: Text


class Revision(Input):
    body: Text


class DeliveryWindow(Input):
    """Days and hours in which items may arrive, in the hub's time zone."""

    days: Annotated[
        list[Annotated[int, Field(ge=1, le=7)]],
        Field(min_length=1, max_length=7, description="ISO weekdays, 1 (Monday) to 7."),
    ]
    start: Annotated[Time, Field(description="HH:MM in the hub's time zone.")]
    end: Annotated[Time, Field(description="HH:MM, exclusive; after `start` (else 422).")]

    @model_validator(mode="after")
    def _starts_before_it_ends(self) -> DeliveryWindow:
        if self.start >= self.end:
            raise PydanticCustomError("window", "must start before it ends")
        return self

    def to_domain(self) -> config.DeliveryWindow:
        start, end = time.fromisoformat(self.start), time.fromisoformat(self.end)
        return config.DeliveryWindow(tuple(sorted(set(self.days))), start, end)


class Preferences(Input):
    read_receipts: bool
    delivery_window: Annotated[DeliveryWindow | None, Field(description="null: any time.")]

    def window(self) -> config.DeliveryWindow | None:
        return None if self.delivery_window is None else self.delivery_window.to_domain()
