"""Shows the end-to-end report in the terminal summary, and the processes' log tails in the
report of any end-to-end test that fails."""

from __future__ import annotations

from collections.abc import Callable, Generator

import pytest

REPORT = pytest.StashKey[str]()
TAILS = pytest.StashKey[Callable[[], str]]()  # the processes' log tails, once they started


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    report = terminalreporter.config.stash.get(REPORT, None)
    if report:
        terminalreporter.write_sep("=", "statusprobe end-to-end: detection latency")
        terminalreporter.write_line(report)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    tails = item.config.stash.get(TAILS, None)
    if report.failed and tails is not None:
        report.sections.append(("end-to-end process logs (last lines)", tails()))
    return report
