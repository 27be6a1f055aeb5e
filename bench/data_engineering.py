"""Benchmark: the full data-engineering lesson (storage timings up to 10^6 records).

Prints the targets (COURSE.md: the queries run on the real store, the scraped table equals the store's
rows) with the checks behind them (3NF copy and mart give the store's answers, the ETL's second load is
empty, a SIGKILLed writer loses nothing committed), then seconds per call of each store at the largest N
and the measured growth, and the conditions. A fresh workdir holds no other lesson's records, so the
lesson runs the quick versions of its starters first; pass `--workdir` to measure on a store of your own.

    python bench/data_engineering.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

from common import conditions, run_full_lesson


def main() -> None:
    from lessons import data_engineering as lesson
    from nnlab.storage_kinds import OPERATIONS

    records, wall, workdir, seed = run_full_lesson(lesson, __doc__.splitlines()[0])
    get = {(r.experiment, r.variant): r for r in records}

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    schema, mart = get[("schema", "normal-forms")], get[("mart", "star-schema-etl")]
    print(f"\nbench/data_engineering: store: {records[0].dataset}")
    same = mart.metric("check", "same_answers"), mart.metric("check", "questions")
    identical = schema.metric("check", "identical_answers"), schema.metric("check", "questions")
    print(f"bench/data_engineering: queries on the real store (target: they run there and agree): mart = store on "
          f"{same[0]:.0f}/{same[1]:.0f} questions, 3NF copy = store on {identical[0]:.0f}/{identical[1]:.0f} "
          f"({met(same[0] == same[1] and identical[0] == identical[1])}); {schema.metric('check', 'moved_columns'):.0f} "
          f"columns of variants depend on run_id; ETL loaded {mart.metric('check', 'new_facts'):.0f} facts, second load "
          f"{mart.metric('check', 'second_load_facts'):.0f}")
    scraped = get[("scraping", "reports-round-trip")]
    print(f"bench/data_engineering: scraped header table = store rows for {scraped.metric('check', 'equal'):.0f} of "
          f"{scraped.metric('check', 'reports'):.0f} reports (target: all, "
          f"{met(scraped.metric('check', 'equal') == scraped.metric('check', 'reports') > 0)})")
    kill = get[("transactions", "sigkill-writer")]
    print(f"bench/data_engineering: SIGKILL mid-transaction: {kill.metric('check', 'committed_kept'):.0f} committed "
          f"variants kept, {kill.metric('check', 'uncommitted_kept'):.0f} uncommitted kept, integrity "
          f"{'ok' if kill.metric('check', 'integrity_ok') == 1 else 'NOT ok'}")
    config = lesson.Config()
    for kind in config.kinds:
        r = get[("storage", kind)]
        print(f"bench/data_engineering: {kind:>13} at N = {config.sizes[-1]:,}: build {r.metric('largest', 'build_seconds'):.2f} s; "
              + "; ".join(f"{op} {r.metric('largest', f'{op}_seconds') * 1e6:,.1f} µs (n^{r.metric('growth', op):.2f})"
                          for op in OPERATIONS))
    print(f"bench/data_engineering: wall time {wall:.0f} s for {len(records)} variants ({conditions(seed)}; sizes "
          f"{', '.join(f'{n:,}' for n in config.sizes)}); report {workdir / lesson.SLUG / 'report.md'}")


if __name__ == "__main__":
    main()
