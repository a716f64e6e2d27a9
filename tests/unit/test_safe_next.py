"""Open-redirect protection for ?next= (pure)."""

import pytest

from marketplace.security import safe_next


@pytest.mark.parametrize("target", ["/", "/admin/users", "/needs?page=2"])
def test_local_paths_are_kept(target):
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "admin/users",
        "/\x0a/evil.example",
        "",
        None,
    ],
)
def test_foreign_or_odd_targets_are_refused(target):
    assert safe_next(target) is None
