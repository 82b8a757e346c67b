"""The README's Python example runs as printed and trains to the accuracy it promises."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    """Return the bodies of the ```python fenced blocks in ``text``."""
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def test_readme_example_trains_the_two_layer_net(capsys):
    (example,) = python_blocks(README.read_text(encoding="utf-8"))
    namespace: dict = {}
    exec(compile(example, str(README), "exec"), namespace)
    out = capsys.readouterr().out
    assert "gradient check passed" in out
    # The example's comment promises about 0.97 on the 10,000 test images.
    assert namespace["trainer"].test_acc_list[-1] >= 0.965
