"""Open every page of the built site in headless Chromium, at 1280 and 390 px, and check it.

    python scripts/check_site_in_browser.py [docs/_build/html] [--shots DIR]

Needs Playwright (``pip install playwright``) and a Chromium (Debian: ``apt-get install
chromium``; found at /usr/bin/chromium, or set ``CHROMIUM``). For every page and width it
checks what a reader would notice:

- the page does not scroll sideways (only code blocks and chapter figures may);
- every image loaded and has alt text; every stored figure (class dls-figure: the
  chapters' and the experiments' full runs) has a caption, links to its full-size PNG,
  and is shown large enough that its 9-point text reads as at least 9 points (the
  figure's width in CSS px over its width in inches times 96);
- every code block that is wider than the column scrolls (``overflow-x: auto``), none clips;
- no chapter page mentions quick mode or shows a path of the machine that built it;
- every link inside the site points to a file that exists.

It prints one line per problem and a summary, saves a screenshot of every page and width
into ``--shots`` if given, and exits with 1 if it found a problem.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

from playwright.sync_api import sync_playwright

WIDTHS = (1280, 390)
FIGURE_DPI = 150

CHECK_PAGE = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1)
    problems.push(`page scrolls sideways: ${doc.scrollWidth} px wide in ${window.innerWidth}`);
  for (const img of document.querySelectorAll('article img')) {
    if (!img.complete || img.naturalWidth === 0) problems.push(`image not loaded: ${img.src}`);
    if (!img.alt || !img.alt.trim()) problems.push(`image without alt text: ${img.src}`);
  }
  const figures = [];
  for (const fig of document.querySelectorAll('figure.dls-figure')) {
    const img = fig.querySelector('img');
    const link = img && img.closest('a');
    const caption = fig.querySelector('figcaption');
    if (!caption || caption.innerText.trim().length < 20)
      problems.push(`figure without caption: ${img && img.src}`);
    if (!link || !link.href.endsWith('.png'))
      problems.push(`figure does not open full size: ${img && img.src}`);
    figures.push({src: img.src, shown: img.getBoundingClientRect().width,
                  natural: img.naturalWidth, attr: img.width,
                  caption: caption ? caption.innerText.slice(0, 40) : ''});
  }
  let clipped = 0, scrolling = 0;
  for (const pre of document.querySelectorAll('article pre')) {
    if (pre.scrollWidth > pre.clientWidth + 1) {
      const box = pre.closest('.highlight') || pre;
      const overflow = getComputedStyle(pre).overflowX + '/' + getComputedStyle(box).overflowX;
      if (overflow.includes('auto') || overflow.includes('scroll')) scrolling += 1;
      else { clipped += 1; problems.push(`code block clipped: ${pre.innerText.slice(0, 50)}`); }
    }
  }
  const links = [...document.querySelectorAll('a[href]')].map(a => a.href);
  const article = document.querySelector('article');
  return {problems, figures, scrolling, clipped, links,
          text: article ? article.innerText : '',
          copyButtons: document.querySelectorAll('button.copybtn').length,
          codeBlocks: document.querySelectorAll('div.highlight').length};
}"""


def pages(root: Path) -> list[Path]:
    skip = ("_static", "_sources", "_images", "_modules", "_downloads")
    return sorted(p for p in root.rglob("*.html")
                  if p.relative_to(root).parts[0] not in skip
                  and p.name not in ("genindex.html", "search.html", "py-modindex.html"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", default="docs/_build/html", type=Path)
    parser.add_argument("--shots", type=Path, help="save a screenshot of each page here")
    args = parser.parse_args(argv)
    root = args.site.resolve()
    if not (root / "index.html").is_file():
        parser.error(f"{root} has no index.html; build the site first (bash .ci/docs.sh)")
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    problems: list[str] = []
    stats = {"pages": 0, "figures": 0, "scrolling code": 0, "copy buttons": 0}
    smallest = {width: None for width in WIDTHS}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            for path in pages(root):
                name = path.relative_to(root).as_posix()
                page.goto(path.as_uri(), wait_until="load")
                result = page.evaluate(CHECK_PAGE)
                stats["pages"] += 1
                problems += [f"{name} @{width}px: {p}" for p in result["problems"]]
                stats["scrolling code"] += result["scrolling"]
                stats["copy buttons"] += result["copyButtons"]
                for fig in result["figures"]:
                    stats["figures"] += 1
                    inches = fig["natural"] / FIGURE_DPI
                    scale = fig["shown"] / (inches * 96)  # 1.0: one figure inch per screen inch
                    if smallest[width] is None or scale < smallest[width][0]:
                        smallest[width] = (scale, name, fig["src"].rsplit("/", 1)[-1])
                    if 9 * scale < 8.95:
                        problems.append(f"{name} @{width}px: {fig['src'].rsplit('/', 1)[-1]} "
                                        f"shown at {scale:.2f} of its size: 9-pt text reads "
                                        f"as {9 * scale:.1f} pt")
                if "/chapters/" in name:
                    text = result["text"]
                    if re.search(r"quick mode|mode='quick'", text, re.IGNORECASE):
                        problems.append(f"{name}: mentions quick mode")
                    if re.search(r"(/tmp/|/var/|/private/|/home/|/root/|/opt/|/work/|/Users/|"
                                 r"\b[A-Za-z]:[\\/])", text):
                        problems.append(f"{name}: shows a path of the build machine")
                for link in result["links"]:
                    url = urlparse(link)
                    if url.scheme == "file":
                        target = Path(unquote(url.path))
                        if not target.exists():
                            problems.append(f"{name}: broken link {link}")
                if args.shots:
                    shot = args.shots / f"{name.replace('/', '_')[:-5]}@{width}.png"
                    page.screenshot(path=str(shot), full_page=True)
            page.close()
        browser.close()
    for line in sorted(set(problems)):
        print(line)
    for width, worst in smallest.items():
        if worst:
            print(f"at {width} px the smallest figure is {worst[2]} on {worst[1]}, "
                  f"shown at {worst[0]:.2f} of its natural size "
                  f"(9-pt text reads as {9 * worst[0]:.1f} pt)")
    print(", ".join(f"{v} {k}" for k, v in stats.items()) + f"; {len(set(problems))} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
