"""The console's state: what every route reaches through ``request.app.state.console``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hotline.console.config import ConsoleConfig
from hotline.console.guard import Guard
from hotline.console.jobs import Jobs
from hotline.console.services import ConsoleServices
from hotline.console.signin import Signin
from storage.codec import utc_now


@dataclass
class Console:
    services: ConsoleServices
    config: ConsoleConfig
    clock: Callable[[], datetime]
    signin: Signin
    guard: Guard
    jobs: Jobs

    @classmethod
    def build(cls, services: ConsoleServices, config: ConsoleConfig) -> Console:
        clock = services.clock or utc_now
        signin = Signin(services, config, clock)
        return cls(
            services=services, config=config, clock=clock, signin=signin,
            guard=Guard(signin), jobs=Jobs(clock),
        )
