"""``knowledge/sources.yaml``: every URL the project cites, once, under a stable id.

Knowledge files cite a source by id; the loader resolves ids to URLs while it validates them, so a typo in an id
stops start-up, and a URL written anywhere else in a knowledge file is refused (it belongs here).
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

SOURCE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError(f"a source must be an http(s) URL, got {value!r}")
    return value


class SourceBook(BaseModel):
    """Source id -> URL."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: dict[Annotated[str, Field(pattern=SOURCE_ID_PATTERN)], Annotated[str, AfterValidator(_check_url)]]

    def url(self, source_id: str) -> str:
        """The URL of a cited source; a KeyError names an id that sources.yaml lacks."""
        try:
            return self.sources[source_id]
        except KeyError:
            raise KeyError(f"unknown source id {source_id!r}: add it to knowledge/sources.yaml") from None


def resolve_source(value: str, info: ValidationInfo) -> str:
    """A knowledge file's source reference, as a URL.

    Loaded through the knowledge loader (which passes the source book as validation context) a reference must be an
    id from sources.yaml. Models built directly in code, without that context, may carry a URL.
    """
    book = info.context.get("sources") if isinstance(info.context, dict) else None
    if book is None:
        return _check_url(value)
    if value.startswith(("https://", "http://")):
        raise ValueError(f"cite a source by its id in knowledge/sources.yaml, not by URL ({value})")
    if value not in book.sources:
        raise ValueError(f"unknown source id {value!r}: add it to knowledge/sources.yaml")
    return book.sources[value]


# The seed skill's repository: the source of every figure labelled "seed skill estimate".
SEED_SOURCE_ID = "gh-pluginagentmarketplace-custom-plugin-system-design"


@functools.lru_cache(maxsize=1)
def default_book() -> SourceBook:
    """This installation's sources.yaml, for checks that run outside the loader (models built in code)."""
    from event_driven.paths import knowledge_dir

    data = yaml.load((knowledge_dir() / "sources.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
    return SourceBook.model_validate(data)


def source_url(source_id: str, info: ValidationInfo | None = None) -> str:
    """A source's URL from the book being loaded (validation context), else from this installation's file."""
    book = info.context.get("sources") if info is not None and isinstance(info.context, dict) else None
    return (book or default_book()).url(source_id)
