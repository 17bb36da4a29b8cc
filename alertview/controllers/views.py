"""The abstract views the controllers drive; the widgets in ``alertview.gui`` implement
them, the tests use fakes (``MagicMock(spec=...)``). Views draw and report; they
decide nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from alertview.controllers.cutouts import Stamp
    from alertview.controllers.follow import Attention
    from alertview.controllers.lightcurve import LightcurvePlot
    from alertview.core.alert import Alert


class LightcurveView(Protocol):
    def set_units(self, flux: bool) -> None:
        """Show the units the controller chose, without reporting it back."""

    def draw(self, plot: LightcurvePlot) -> None:
        """Draw these series, notes and axes (and nothing else)."""


class CutoutsView(Protocol):
    def show_stamp(self, name: str, stamp: Stamp) -> None:
        """Show one stamp (an image, or a blank with the reason in its title)."""

    def fit(self, extent: tuple[float, float] | None) -> None:
        """Show the whole stamp: half-width and half-height on screen."""


class DetailsView(Protocol):
    def show_links(self, links: list[tuple[str, str]]) -> None:
        """(name, url) links to look the alert up elsewhere."""

    def show_record(self) -> None:
        """The alert changed: rebuild the tree (now, or when it is next on screen)."""

    def show_matches(self, shown: set[tuple[int, ...]] | None) -> None:
        """Hide every tree item whose index path is not in ``shown`` (None: show all)."""


class TableModel(Protocol):
    """What the session controller needs of the table's model."""

    total: int
    alert_filter: Any
    filtering: bool

    def rowCount(self, parent: Any = ...) -> int: ...

    def append_rows(self, rows: list[tuple]) -> None: ...

    def set_filter(self, alert_filter: Any) -> None: ...

    def row_id(self, row: int) -> int: ...

    def set_dropped_before(self, row: int) -> None: ...


class AlertLoader(Protocol):
    """Decodes the selected alert off the GUI thread (``gui.alert_loader``)."""

    generation: int

    def request(self, row_id: int, choices: tuple[str, str]) -> int: ...

    def prefetch(self, row_id: int, choices: tuple[str, str]) -> None: ...

    def warm(self, row_ids: list[int], choices: tuple[str, str]) -> None:
        """New rows: fit their stamps' display limits ahead of a selection."""


class SessionView(Protocol):
    """The main window, as the session controller sees it."""

    def show_status(self, text: str) -> None:
        """The permanent status text (alerts, rate, lag, outage)."""

    def show_match(self, text: str) -> None:
        """Beside the filter: how many rows match, progress, or why a filter is bad."""

    def show_filter_error(self, message: str | None) -> None:
        """Mark the filter box as refused (``message``) or accepted (None)."""

    def show_error_count(self, count: int) -> None: ...

    def rows_added(self, first: bool) -> None:
        """Rows were appended to the model (``first``: the table was empty)."""

    def show_alert(self, alert: Alert, cutouts: dict, prepared: Any) -> None:
        """Draw the decoded alert (its stamps decoded and ``prepared`` off the GUI thread)."""

    def show_message(self, text: str) -> None:
        """A passing message (a row that could not be decoded)."""

    def display_choices(self) -> tuple[str, str]:
        """(limits, stretch) the stamps are scaled for."""

    def scroll_to_newest(self) -> None:
        """Follow the stream: the newest rows in sight."""

    def table_attention(self) -> Attention:
        """What the table shows the user now (selection, pointer, newest row in sight)."""

    def show_title(self, text: str) -> None: ...

    def show_stream_state(self, text: str) -> None:
        """The stream's one-line state ("connecting", "receiving", or why it ended)."""

    def show_stream_controls(self, enabled: bool) -> None:
        """Pause and Stop usable (a stream runs) or not."""

    def show_failure(self, message: str) -> None:
        """The stream ended: a dialog the user cannot miss (non-modal)."""


class ImportView(Protocol):
    """The window's file imports (``gui.file_import.FileImports``), as the import
    controller sees them: it starts and cancels readers and shows their progress."""

    def start_import(self, handle: Any) -> None:
        """Start the reader ``handle`` (the job ``open`` was given) off the GUI thread."""

    def cancel_import(self, handle: Any) -> None:
        """Ask the running reader to stop (it reports ``finished`` when it has)."""

    def import_dropped(self, handle: Any) -> None:
        """A queued job will not run (Cancel dropped it)."""

    def import_ended(self, handle: Any, added: int) -> None:
        """The job is over (finished or cancelled) and its rows are in the table."""

    def show_import(self, text: str | None, fraction: float | None) -> None:
        """The progress widget: its text and bar (``fraction`` None: busy); text None hides it."""

    def show_message(self, text: str) -> None:
        """A passing message in the status bar."""
