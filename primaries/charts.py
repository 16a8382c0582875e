"""The result page's charts, from the stored result (no queries): turnout against the roll,
and each round of the count as bars on one scale (the first round's ballots)."""

from alliance.charts import HBarChart, hbar_chart


def turnout_chart(*, ballots: int, registered: int) -> HBarChart:
    return hbar_chart(
        [("Ballots cast", ballots)],
        title=f"Turnout: {ballots:,} ballots cast from a roll of {registered:,} voters",
        total=registered,
    )


def round_charts(rounds: list[dict]) -> list[HBarChart]:
    """One chart per round: each continuing candidate's votes, then the exhausted ballots.
    The eliminated candidate's label says so (and is drawn darker), as does the winner's in
    the last round."""
    scale = sum(t["votes"] for t in rounds[0]["tallies"]) + rounds[0]["exhausted"] if rounds else 0
    charts = []
    for number, count in enumerate(rounds, start=1):
        last = number == len(rounds)
        rows, marked = [], []
        for position, tally in enumerate(count["tallies"]):
            label = tally["name"]
            if tally["name"] == count.get("eliminated_name"):
                label = f"{label} (eliminated)"
                marked.append(label)
            elif last and position == 0 and tally["votes"]:
                label = f"{label} (elected)"
                marked.append(label)
            rows.append((label, tally["votes"]))
        rows.append(("Exhausted (no preference left)", count["exhausted"]))
        charts.append(
            hbar_chart(
                rows, title=f"Round {number}: votes by candidate", scale_max=scale, marked=marked
            )
        )
    return charts
