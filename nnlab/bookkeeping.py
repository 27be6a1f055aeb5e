"""Run bookkeeping: one run of a lesson or a search in the results store, from its start to its end.

`nnlab.runner.run_lesson` and `tuning.search.run_search` both record through `recorded_run`:

    with recorded_run(workdir, ctx, argv, interrupted_note) as book:
        book.claim(...)      a variant is 'running' under this process while it trains
        book.finish(...)     its results are written and it is 'finished', in one transaction
        book.record_once(...)  work finished elsewhere (a tuner trial) is recorded once, whoever ran it

and the block's end decides how the run ends: 'finished' when it completes; on Ctrl-C (SIGTERM too,
where the caller turns it into KeyboardInterrupt) the variant still running and the run are marked
'interrupted', one line tells how to resume and `Interrupted` is raised (the CLI exits 130); on any
other exception both are marked 'failed' and the exception goes on. A variant only ever enters the
store through `claim` or `record_once`: a claim is taken atomically, so two runs of a lesson into
one workdir share its grid instead of both training it.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from reports.store import Claim, RunContext, Store


class Interrupted(Exception):
    """Raised after a Ctrl-C/SIGTERM was recorded; the CLI exits 130."""


@dataclass
class RunRecorder:
    """The open run of `ctx` in `store`: the variants it starts, finishes or records."""

    store: Store
    run_id: int
    ctx: RunContext
    running: int | None = None     # the variant row now training, marked with the run if it ends early
    status: str | None = None      # how the run ended; None while it is open

    def is_finished(self, key: str) -> bool:
        """Whether a variant with this content key is finished in the store (by any run)."""
        return self.store.finished_variant(key) is not None

    def claim(self, *, experiment: str, variant: str, ordinal: int, key: str, params: Mapping, config: Mapping,
              rerun: bool = False) -> Claim:
        """Claim a variant before it trains (`Store.claim_variant`): if the claim is ours the variant is
        'running' under this process until `finish` or the run's end; otherwise the answer says whether
        it is finished already or held by another live run."""
        claim = self.store.claim_variant(self.run_id, self.ctx, experiment=experiment, variant=variant,
                                         ordinal=ordinal, key=key, params=params, config=config, rerun=rerun)
        self.running = claim.variant_id
        return claim

    def finish(self, *, wall_seconds: float, metrics: Mapping[str, Mapping[str, float]],
               history: Mapping[str, list[float]] | None = None, info: Mapping[str, Any] | None = None,
               artifacts: Mapping[str, Any] | None = None) -> None:
        """Write the running variant's results and mark it 'finished'."""
        self.store.finish_variant(self.running, wall_seconds=wall_seconds, metrics=metrics, history=history,
                                  info=info, artifacts=artifacts)
        self.running = None

    def record_once(self, **variant: Any) -> bool:
        """Record a variant finished elsewhere unless its key is finished already (`Store.record_once`'s
        arguments less run and context); True if this call recorded it."""
        return self.store.record_once(self.run_id, self.ctx, **variant) is not None

    def end(self, status: str) -> None:
        """End the run as 'finished', 'interrupted' or 'failed' (the running variant, if any, likewise).
        Only the first call counts: a run finished before its report was compiled stays finished."""
        if self.running is not None:
            self.store.mark_variant(self.running, status)
            self.running = None
        if self.status is None:
            self.store.end_run(self.run_id, status)
            self.status = status


@contextmanager
def recorded_run(workdir: Path | str, ctx: RunContext, argv: list[str],
                 interrupted_note: Callable[[Store], str]) -> Iterator[RunRecorder]:
    """Open the store of `workdir`, start a run of `ctx` and yield its recorder; end and close both as
    the block ends (see the module docstring). `interrupted_note(store)` is the rest of the line
    printed after 'interrupted: ', read from the store once the run is marked."""
    store = Store.in_workdir(workdir)
    book = RunRecorder(store, store.start_run(ctx, argv), ctx)
    try:
        yield book
    except KeyboardInterrupt:
        book.end("interrupted")
        note = interrupted_note(store)
        store.close()
        print(f"\ninterrupted: {note}", file=sys.stderr, flush=True)
        raise Interrupted() from None
    except BaseException:
        book.end("failed")
        store.close()
        raise
    book.end("finished")
    store.close()
