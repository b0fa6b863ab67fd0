"""Opening hours: calls outside hours are denied, messages wait for the opening, and a day's closed hour.

**Scenario.** A Paris help desk is open 09:00-12:00 and 13:00-17:00 on weekdays, for voice and e-mail
alike. The router's second 0 is Monday 7 December 2026, 08:00 in Paris. A call at 08:30 is denied
``closed`` with the opening as ``reopens_at``; an e-mail at 08:40 is accepted and offered at 09:00 sharp,
its wait counted from then. A call still waiting at the noon closing is answered; one at 12:05 is denied;
an e-mail at 12:10 waits for 13:00. Then a simulated day of the same hours, calls at 600 an hour from
09:00 to 17:00 over five replications: the share denied ``closed`` is the closed hour's share of the day,
1/8 by hand for a Poisson stream of constant rate, and the measured share agrees within its error.

**Covers.** ``rk.OpeningHours``, ``RouterSettings(epoch=..., hours=...)``, ``Denied(reason="closed",
reopens_at=...)``, an asynchronous contact's clock starting at the opening; the scenario keys ``run.date``,
``run.timezone`` and ``[channel.hours]``, and the report's ``denied_closed``.
"""

import datetime as dt
import math
from zoneinfo import ZoneInfo

import routekit as rk
from routekit.sim.engine import run_day
from routekit.sim.scenario import scenario_from_dict

SEED = 22
REPLICATIONS = 5
RATE = 600.0  # calls per hour, 09:00-17:00
WEEKLY = {day: [("09:00", "12:00"), ("13:00", "17:00")] for day in ("mon", "tue", "wed", "thu", "fri")}
HOURS = rk.OpeningHours(weekly=WEEKLY, timezone="Europe/Paris")
EPOCH = dt.datetime(2026, 12, 7, 8, 0, tzinfo=ZoneInfo("Europe/Paris"))


def clock(seconds: float) -> str:
    """The router's seconds as the Paris wall clock."""
    return (EPOCH + dt.timedelta(seconds=seconds)).strftime("%H:%M")


def show(events: list[rk.events.Event]) -> None:
    """Print one line per event: the Paris time, the type, the contact and what tells the story."""
    for event in events:
        line = f"{clock(event.at)}  {type(event).__name__:<14} {getattr(event, 'contact_id', '')}"
        if isinstance(event, rk.events.Denied):
            line += f" reason={event.reason} reopens_at={clock(event.reopens_at)}"  # type: ignore[arg-type]
        elif isinstance(event, rk.events.ContactQueued):
            line += f" clock starts {clock(event.arrived_at)}"
        elif isinstance(event, rk.events.Assigned):
            line += f" waited={event.waited:.0f} s"
        print(line.rstrip())


def a_morning() -> None:
    """The router alone: one agent for voice, one for e-mail."""
    router = rk.Router(rk.policies.Skills(), epoch=EPOCH, hours={"voice": HOURS, "email": HOURS})
    router.add_agent(rk.Agent(id="vic", capacity={"voice": 1}), 0.0)
    router.add_agent(rk.Agent(id="eve", capacity={"email": 1}), 0.0)

    def contact(contact_id: str, channel: str) -> rk.Contact:
        return rk.Contact(id=contact_id, customer=rk.Customer(id=f"u-{contact_id}"), channel=channel)

    at = {name: 3600.0 * (hour - 8) for name, hour in {"08:30": 8.5, "08:40": 8 + 40 / 60}.items()}
    show(router.submit(contact("call-1", "voice"), at["08:30"]))
    show(router.submit(contact("mail-1", "email"), at["08:40"]))
    show(router.advance(3600.0))
    show(router.accept("mail-1", "eve", 3600.0 + 30))
    noon = 4 * 3600.0
    show(router.submit(contact("call-2", "voice"), noon - 120))
    show(router.accept("call-2", "vic", noon - 110))
    show(router.submit(contact("call-3", "voice"), noon - 60))
    show(router.submit(contact("call-4", "voice"), noon + 300))
    show(router.complete("call-2", noon + 420))
    show(router.accept("call-3", "vic", noon + 425))
    show(router.complete("mail-1", noon + 500))
    show(router.submit(contact("mail-2", "email"), noon + 600))
    show(router.advance(noon + 3600))


def a_day() -> None:
    """The simulated day, 09:00-17:00, calls only."""
    scenario = scenario_from_dict(
        {
            "run": {"horizon": 8 * 3600, "start": 9, "date": "2026-12-07", "timezone": "Europe/Paris"},
            "channel": [
                {
                    "name": "voice",
                    "service_level": 20,
                    "handle_time": {"dist": "exponential", "mean": 60},
                    "hours": HOURS.to_data(),
                }
            ],
            "arrivals": [{"channel": "voice", "rate": RATE}],
            "agents": [{"name": "a", "count": 20, "capacity": {"voice": 1}}],
        }
    )
    arrivals = denied = 0
    print(f"{'replication':>11}  {'arrivals':>8}  {'closed':>6}  {'share':>6}")
    for i in range(REPLICATIONS):
        row = run_day(scenario, SEED + i).report.row("voice")
        arrivals += row.offered + row.denied
        denied += row.denied_closed
        day = row.offered + row.denied
        print(f"{i:>11}  {day:>8}  {row.denied_closed:>6}  {row.denied_closed / day:>6.3f}")
    share, expected = denied / arrivals, 1 / 8
    error = math.sqrt(expected * (1 - expected) / arrivals)
    print(f"{'all':>11}  {arrivals:>8}  {denied:>6}  {share:>6.3f}")
    print(f"by hand: 1 closed hour of 8 = {expected:.3f}; binomial standard error {error:.4f}")
    print(f"measured - by hand = {share - expected:+.4f} ({(share - expected) / error:+.1f} standard errors)")


def main() -> None:
    print("Monday morning, Paris (open 09:00-12:00 and 13:00-17:00)")
    a_morning()
    print()
    print(f"A simulated day: calls at {RATE:g}/h from 09:00 to 17:00, {REPLICATIONS} replications")
    a_day()


if __name__ == "__main__":
    main()
