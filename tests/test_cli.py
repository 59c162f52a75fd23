import subprocess
import sys
from pathlib import Path

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
