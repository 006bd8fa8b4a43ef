"""generate_tests' answer: the suites and what each proves, the files as links, and the commands to run them."""

from __future__ import annotations

from typing import Any

from event_driven.adapters.presenters.markdown import bullets, clip, join, section, table, top


def present_tests(result: dict[str, Any], detail: str) -> str:
    suites, files = result.get("suites", []), result.get("files", [])
    shown, left = top(files, detail, 12)
    rows = [(f"`{f.get('path')}`", clip(f.get("purpose", ""), 110)) for f in shown]
    suite_lines = [f"`{s.get('id', s.get('suite', ''))}`: {clip(s.get('guarantee', ''), 200)}" for s in suites]
    env = [f"`{e.get('name')}`: {clip(e.get('enables', ''), 160)}" for e in result.get("env_vars", [])]
    return join(
        f"**{len(suites)} test suite(s), {len(files)} file(s)** for {result.get('use_case')} on "
        f"{result.get('broker')}.",
        section("What the suites prove", bullets(suite_lines)),
        section(
            "Files (each a resource link; read it with resources/read)",
            table(("file", "purpose"), rows, left, "files"),
        ),
        section("Run", "```sh\n" + "\n".join(result.get("commands", [])) + "\n```"),
        section("Integration tests run when set", bullets(env)),
        section(
            "Next",
            "Write the files into the project, run the commands above; a failing test names the guarantee that broke.",
        ),
    )
