"""Normal forms of channel references in scopes (access.scope)."""

from __future__ import annotations

import pytest

from access.scope import channel_refs, normalize_ref


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("@Alpha_News", "@alpha_news"),
        ("https://t.me/alpha_news", "@alpha_news"),
        ("t.me/+AbCdEf123456", "+AbCdEf123456"),
        ("https://t.me/joinchat/AbCdEf123456", "+AbCdEf123456"),
        ("-1001234", "id:1001234"),
        ("1234", "id:1234"),
    ],
)
def test_forms_of_one_channel_normalise_alike(text: str, ref: str) -> None:
    """Names, links, invite links and ids each have one normal form."""
    assert normalize_ref(text) == ref


@pytest.mark.parametrize("bad", ["", "   ", "t.me/", "not a name!", "@x"])
def test_bad_references_are_refused(bad: str) -> None:
    """Malformed references raise ValueError naming the input."""
    with pytest.raises(ValueError):
        normalize_ref(bad)


def test_channel_refs_cover_id_username_and_target() -> None:
    """A channel is named by its id, its username and what was requested."""
    assert channel_refs(55, "Alpha", "+Hash12345") == {"id:55", "@alpha", "+Hash12345"}
    assert channel_refs(None, None, "@alpha") == {"@alpha"}
