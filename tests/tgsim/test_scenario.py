"""Scenario files: parsing with clear errors, and playing them (tgsim/scenario.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from telethon import errors
from telethon.tl import functions, types
from tgsim_support import ClientFactory

from tgsim import Server
from tgsim.scenario import ACTIONS, Runner, ScenarioError, load, parse

EXAMPLE = Path(__file__).resolve().parents[2] / "tgsim" / "examples" / "scenario.toml"


def test_example_scenario_parses() -> None:
    """The shipped example parses, channels first and steps ordered by time."""
    scenario = load(EXAMPLE)
    assert [c.key for c in scenario.channels] == ["news", "hidden"]
    assert [s.at for s in scenario.steps] == sorted(s.at for s in scenario.steps)
    assert {s.action for s in scenario.steps} == {
        "post", "album", "forward", "edit", "fault", "delete"
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[step]]\naction = 'post'\nchannel = 'x'\n", "unknown channel 'x'"),
        ("[[step]]\naction = 'shout'\n", "'action' must be one of"),
        ("[[channel]]\ntitle = 'T'\n", "channel 1: missing 'key'"),
        (
            "[[channel]]\nkey='a'\ntitle='A'\n[[step]]\naction='post'\nchannel='a'\n"
            "photo='missing.jpg'\n",
            "'photo' file not found",
        ),
        (
            "[[channel]]\nkey='a'\ntitle='A'\n[[step]]\naction='edit'\nchannel='a'\n"
            "post='nope'\ntext='x'\n",
            "unknown post id 'nope'",
        ),
        (
            "[[channel]]\nkey='a'\ntitle='A'\n[[step]]\naction='post'\nchannel='a'\n"
            "date='yesterday'\n",
            "bad date",
        ),
        ("this is = = not toml", "not valid TOML"),
        ("[[step]]\naction = 'fault'\nerror = 'drop'\ntimes = 0\n", "'times' must be"),
        ("[extra]\n", "unknown top-level keys"),
    ],
)
def test_bad_scenarios_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    """Malformed scenarios are refused with a message naming the step and field."""
    with pytest.raises(ScenarioError, match=message):
        parse(text, tmp_path)


async def test_scenario_plays_against_telethon(
    sim: Server, new_client: ClientFactory, tmp_path: Path, jpeg: bytes
) -> None:
    """Every action of a scenario is visible to a plain Telethon client."""
    (tmp_path / "pic.jpg").write_bytes(jpeg)
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4 test")
    scenario = parse(
        """
[[channel]]
key = "pub"
title = "Public"
username = "scenario_pub"

[[channel]]
key = "priv"
title = "Private"
private = true
invite_hash = "FixedHash123"

[[step]]
action = "post"
channel = "pub"
id = "first"
text = "hello world"
entities = [{ type = "italic", offset = 0, length = 5 }]
date = "2024-02-03T04:05:06Z"

[[step]]
action = "post"
channel = "pub"
id = "doc"
document = "report.pdf"

[[step]]
action = "album"
channel = "priv"
photos = ["pic.jpg", { width = 64, height = 64, seed = 9 }]
text = "album"

[[step]]
action = "forward"
channel = "priv"
post = "first"

[[step]]
action = "edit"
channel = "pub"
post = "first"
text = "hello again"

[[step]]
action = "delete"
channel = "pub"
posts = ["doc"]

[[step]]
action = "fault"
request = "GetFullChannelRequest"
error = "CHANNEL_PRIVATE"
""",
        tmp_path,
    )
    runner = Runner(sim, scenario)
    channels = await runner.create_channels()
    await runner.play()
    assert channels["priv"].invite_hash == "FixedHash123"
    client = await new_client(1)
    pub = await client.get_entity("scenario_pub")
    msgs = await client.get_messages(pub, limit=10)
    assert [m.text for m in msgs] == ["hello again"]  # the edit dropped the entity
    assert msgs[0].date.year == 2024 and msgs[0].edit_date is not None
    await client(functions.messages.ImportChatInviteRequest("FixedHash123"))
    priv = await client.get_entity(types.PeerChannel(channels["priv"].id))
    items = await client.get_messages(priv, limit=10)
    assert items[0].fwd_from is not None and items[0].fwd_from.channel_post == 1
    assert len({m.grouped_id for m in items[1:]}) == 1 and items[-1].text == "album"
    with pytest.raises(errors.ChannelPrivateError):
        await client(functions.channels.GetFullChannelRequest(pub))


def test_readme_example_is_valid(tmp_path: Path, jpeg: bytes) -> None:
    """The complete example in tgsim/README.md parses (given its media files)."""
    readme = (EXAMPLE.parents[1] / "README.md").read_text("utf-8")
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    files = tmp_path / "files"
    files.mkdir()
    (files / "report.pdf").write_bytes(b"%PDF-1.4")
    (files / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    (files / "cat.jpg").write_bytes(jpeg)
    scenario = parse(block, tmp_path)
    assert len(scenario.steps) == 10
    assert {s.action for s in scenario.steps} == set(ACTIONS)
