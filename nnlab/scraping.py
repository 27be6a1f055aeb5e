"""Scraping on loopback: the lessons' markdown reports rendered to HTML, served by a local HTTP server,
fetched like any web page and parsed back into a table with BeautifulSoup.

    render_site(reports, folder)   report.md -> <slug>/index.html (Python-Markdown, tables extension),
                                   plus an index.html linking every page
    serve(folder)                  http.server on 127.0.0.1, an ephemeral port (the OS picks a free one),
                                   in a thread; stopped when the block ends
    scrape(base_url)               fetch the index, follow its links, parse each page's header table

Nothing leaves the machine: the server binds the loopback interface only.
"""
from __future__ import annotations

import functools
import html
import re
import threading
import urllib.request
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import urljoin


def render_site(reports: dict[str, Path], folder: Path) -> Path:
    """Each `reports[slug]` (a markdown file) as `folder/<slug>/index.html`, and an index page linking them."""
    import markdown

    folder.mkdir(parents=True, exist_ok=True)
    links = []
    for slug, report in sorted(reports.items()):
        body = markdown.markdown(report.read_text(encoding="utf-8"), extensions=["tables"])
        page = folder / slug / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(slug)}</title>"
                        f"</head><body>{body}</body></html>", encoding="utf-8")
        links.append(f"<li><a class='report' href='{slug}/index.html'>{html.escape(slug)}</a></li>")
    index = folder / "index.html"
    index.write_text("<!doctype html><html><head><meta charset='utf-8'><title>nnlab reports</title></head>"
                     f"<body><h1>Reports</h1><ul>{''.join(links)}</ul></body></html>", encoding="utf-8")
    return index


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass  # one line per request on stderr would drown the lesson's output


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` on http://127.0.0.1:<free port>/ while the block runs; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def header_table(page: str) -> dict[str, str]:
    """The first table of a report page (its header: dataset, mode, seed, run, ...) as {field: text}."""
    from bs4 import BeautifulSoup

    table = BeautifulSoup(page, "html.parser").find("table")
    fields = {}
    for row in table.find("tbody").find_all("tr") if table is not None else []:
        cells = [cell.get_text(" ", strip=True) for cell in row.find_all(["td", "th"])]
        if len(cells) >= 2:
            fields[cells[0]] = cells[1]
    return fields


def scrape(base_url: str) -> dict[str, dict[str, str]]:
    """{slug: header fields} of every report the index at `base_url` links to, fetched over HTTP."""
    from bs4 import BeautifulSoup

    index = BeautifulSoup(fetch(base_url), "html.parser")
    found = {}
    for link in index.find_all("a", class_="report"):
        found[link.get_text(strip=True)] = header_table(fetch(urljoin(base_url, link["href"])))
    return found


RUN_LINE = re.compile(r"#(\d+) started (\S+), status (\w+)")
DATASET_LINE = re.compile(r"(.*) \(sha256 ([0-9a-f]+)…\)$")


def header_row(fields: dict[str, str]) -> dict:
    """A scraped header as one row of typed values, comparable with the store's `runs` row: run id,
    started, status, seed, mode, dataset, sha256 prefix, and the number of variants reported."""
    run = RUN_LINE.search(fields.get("run", ""))
    dataset = DATASET_LINE.match(fields.get("dataset", ""))
    variants = re.match(r"\d+", fields.get("variants in this report", "").replace(",", ""))
    return {"run": int(run.group(1)) if run else None, "started": run.group(2) if run else None,
            "status": run.group(3) if run else None, "seed": int(fields["seed"]) if fields.get("seed", "").isdigit()
            else None, "mode": fields.get("mode", "").split(" ")[0] or None,
            "dataset": dataset.group(1) if dataset else None, "sha256": dataset.group(2) if dataset else None,
            "variants": int(variants.group(0)) if variants else None}
