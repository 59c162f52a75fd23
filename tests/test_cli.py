import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, env=env, timeout=300)


def test_kb_check_passes_on_shipped_knowledge(tmp_path: Path) -> None:
    result = _run("assistant", "kb", "check", env_extra={"SHOP_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "0 problems" in result.stdout


def test_kb_check_reports_bad_file_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "x.md").write_text("---\nid: x\ntitle: [oops\n---\nbody text here\n")
    result = _run("assistant", "kb", "check", env_extra={"SHOP_KNOWLEDGE_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "faq/x.md:3: invalid YAML" in result.stderr and "Traceback" not in result.stderr


def test_missing_classifier_is_explained(tmp_path: Path) -> None:
    result = _run("assistant", "ask", "hello", env_extra={"SHOP_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "python -m finetune intents" in result.stderr and "Traceback" not in result.stderr


def test_conversations_reports_a_misspelt_key_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "talk.yaml").write_text("conversations:\n  - name: hello\n    turns: [{say: hi, intnet: greeting}]\n")
    result = _run("finetune", "conversations", str(tmp_path), env_extra={"SHOP_DATA_DIR": str(tmp_path / "data")})
    assert result.returncode == 1
    assert f"{tmp_path / 'talk.yaml'}:2: conversation 'hello': turns.0.intnet" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.integration
def test_conversations_prints_a_line_per_turn_and_exits_1_on_a_failure(prepared: Path, tmp_path: Path) -> None:
    (tmp_path / "talk.yaml").write_text(
        "conversations:\n"
        "  - name: greeted\n    turns: [{say: hi, intent: greeting, action: none}]\n"
        "  - name: wrongly expected\n    turns:\n      - say: cancel order 104250\n        action: applied\n"
        "    expect: {orders: {104250: {status: cancelled}}}\n"
    )
    result = _run("finetune", "conversations", str(tmp_path), env_extra={"SHOP_DATA_DIR": str(prepared)})
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "  ok   hi" in lines and "  FAIL cancel order 104250" in lines
    assert any("desk action: expected applied, got ask_identity" in line for line in lines)
    assert "  FAIL database: orders changed: [], expected [104250]" in lines
    assert lines[-1] == "1 of 2 conversations passed (2 turns)"
