"""Content keys: the sha256 that names a piece of work by what went into it.

The results store finds finished work by these keys (a variant, a tuner trial) and the translation
lesson names its saved models by one, so a key must never change for the same content: stores
written earlier must keep matching. Every such key is made here, in one of two forms.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any


def content_key(*parts: Any, **fields: Any) -> str:
    """The sha256 hex digest (64 characters) of the content that names a piece of work.

    content_key(**fields): of `json.dumps(fields, sort_keys=True, default=str)`: key order does not
        matter, nested dicts and lists are walked, and anything JSON lacks (a Path) enters as its str.
    content_key(*parts): of the parts' str joined by "|" (the tuner's trial keys have this form in
        every store written so far, so it stays).
    """
    if parts and fields:
        raise TypeError(f"Expected parts or fields, not both. Received: {len(parts)} parts and fields "
                        f"{sorted(fields)}")
    text = "|".join(str(part) for part in parts) if parts else json.dumps(fields, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
