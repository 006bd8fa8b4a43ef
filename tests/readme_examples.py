"""The README's tool examples, run for real: each ``<!-- example: TOOL -->`` block holds the arguments (a ```json
block) and the Markdown the agent receives (a ````markdown block). ``test_readme.py`` checks every block against
the current output; ``python tests/readme_examples.py --write`` refreshes them after an intended change."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import anyio
from mcp import Client

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"<!-- example: (?P<tool>[a-z_]+) -->\n(?P<body>.*?)<!-- /example -->", re.S)
ARGS = re.compile(r"```json\n(?P<json>.*?)\n```", re.S)
ANSWER = re.compile(r"````markdown\n(?P<md>.*?)````\n", re.S)


def examples(text: str) -> list[tuple[str, dict, str, re.Match[str]]]:
    found = []
    for block in BLOCK.finditer(text):
        args, answer = ARGS.search(block["body"]), ANSWER.search(block["body"])
        assert args and answer, f"example for {block['tool']} needs a ```json and a ````markdown block"
        found.append((block["tool"], json.loads(args["json"]), answer["md"], block))
    return found


async def answers(calls: list[tuple[str, dict]]) -> list[str]:
    from event_driven.adapters.mcp_server import build_server

    out = []
    async with Client(build_server()) as client:
        for tool, args in calls:
            result = await client.call_tool(tool, args)
            out.append("".join(b.text for b in result.content if b.type == "text"))
    return out


def write() -> None:
    text = README.read_text(encoding="utf-8")
    found = examples(text)
    current = anyio.run(answers, [(tool, args) for tool, args, _, _ in found])
    for (_, _, _, block), new in zip(reversed(found), reversed(current), strict=True):
        answer = ANSWER.search(block["body"])
        assert answer is not None
        start, end = block.start("body") + answer.start("md"), block.start("body") + answer.end("md")
        text = text[:start] + new + text[end:]
    README.write_text(text, encoding="utf-8")
    print(f"refreshed {len(found)} examples")


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
