"""A synthetic blog, large enough to matter and the same on every run (seeded).

Each post looks like the sample posts in ``content/``: a title, date, category, a few tags, a
hand-written summary, headed sections of prose with links and inline code, a list, and one or
two fenced code blocks (so Pygments highlighting is part of the build cost). A post runs to
about 700 words, the length of a typical technical blog post.
"""

from __future__ import annotations

import contextlib
import io
import random
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path


CATEGORIES = ["Engineering", "Operations", "Security", "Notes", "Tutorials", "Design"]
TAGS = [
    "aws", "s3", "cloudfront", "lambda", "dynamodb", "terraform", "python", "pelican", "cdn",
    "dns", "tls", "iam", "github-actions", "ci", "testing", "caching", "performance", "http",
    "markdown", "accessibility", "css", "javascript", "privacy", "logging", "monitoring",
    "costs", "serverless", "api-gateway", "route53", "acm", "moto", "playwright", "security",
    "static-sites", "automation", "backups", "observability", "networking", "linux", "shell",
]
WORDS = (
    "bucket object cache edge origin request response header invalidation path key table item "
    "counter visitor page build deploy publish template theme plugin feed archive tag category "
    "function handler event payload region account role policy permission token certificate "
    "domain record resolver latency throughput budget bytes upload download checksum digest "
    "hash manifest output input setting option default value error retry backoff timeout "
    "worker thread pool queue batch write read update atomic increment condition expression "
    "the a an of to in for with on by from as at that this which when while because so but "
    "and or not every each only just still already again never always often quickly simply "
    "small large fast slow cheap careful clear plain honest stable fresh stale private public "
    "local remote static dynamic first last next previous whole single other same different "
    "reads writes sends keeps checks returns stores serves counts builds shows moves runs"
).split()
CODE_SAMPLES = [
    (
        "python",
        'def publish(output_dir, bucket):\n    local = walk_local(output_dir)\n'
        '    remote = list_remote(bucket)\n    for key, entry in sorted(local.items()):\n'
        '        if remote.get(key) != entry.md5:\n            upload(bucket, key, entry)\n'
        '    return len(local)\n',
    ),
    (
        "bash",
        'set -euo pipefail\nmake build\naws s3 ls "s3://$BUCKET/posts/" | wc -l\n'
        'curl -sS -X POST -H "Content-Type: application/json" \\\n'
        '  -d \'{"path": "/posts/hello/"}\' "$SITE/api/hits"\n',
    ),
    (
        "hcl",
        'resource "aws_dynamodb_table" "counter" {\n  name         = "${var.project_name}-counter"\n'
        '  billing_mode = "PAY_PER_REQUEST"\n  hash_key     = "pk"\n\n  attribute {\n'
        '    name = "pk"\n    type = "S"\n  }\n}\n',
    ),
    (
        "javascript",
        'function handler(event) {\n  var request = event.request;\n'
        '  if (request.uri.endsWith("/")) {\n    request.uri += "index.html";\n  }\n'
        '  return request;\n}\n',
    ),
    (
        "json",
        '{\n  "path": "/posts/hello/",\n  "views": 42,\n  "site_views": 1234\n}\n',
    ),
]
FIRST_DATE = datetime(2015, 1, 5, 9, 0)


@dataclass(frozen=True)
class GeneratedSite:
    content_dir: Path
    posts: list[Path]  # oldest first; the last one is the newest post

    @property
    def newest_post(self) -> Path:
        return self.posts[-1]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
    if rng.random() < 0.25:
        words[rng.randrange(len(words))] = f"`{rng.choice(WORDS)}_{rng.choice(WORDS)}`"
    if rng.random() < 0.15:
        place = rng.randrange(len(words))
        words[place] = f"[{words[place]}](https://example.org/{rng.choice(WORDS)}/)"
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def _post(rng: random.Random, number: int, date: datetime) -> str:
    title_words = [rng.choice(WORDS) for _ in range(rng.randint(3, 7))]
    title = " ".join(title_words).capitalize()
    tags = sorted(rng.sample(TAGS, rng.randint(1, 4)))
    lines = [
        f"Title: {title} ({number})",
        f"Date: {date:%Y-%m-%d %H:%M}",
        f"Category: {rng.choice(CATEGORIES)}",
        f"Tags: {', '.join(tags)}",
        f"Slug: post-{number:05d}",
        f"Summary: {_sentence(rng)}",
        "",
        _paragraph(rng),
        "",
    ]
    for section in range(rng.randint(2, 4)):
        lines += [f"## {' '.join(rng.choice(WORDS) for _ in range(3)).capitalize()}", ""]
        lines += [_paragraph(rng), ""]
        if section == 0 or rng.random() < 0.4:
            language, code = rng.choice(CODE_SAMPLES)
            lines += [f"```{language}", code.rstrip("\n"), "```", ""]
        if rng.random() < 0.5:
            lines += [f"{i}. {_sentence(rng)}" for i in range(1, rng.randint(3, 6))] + [""]
        lines += [_paragraph(rng), ""]
    return "\n".join(lines)


ABOUT_PAGE = "Title: About\nSlug: about\nmenu_order: 1\n\nWho writes here, and why.\n"
DIAGRAM_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 220" width="640" height="220">'
    '<g fill="none" stroke="#1f2328" stroke-width="3"><rect x="20" y="70" width="160" height="80"/>'
    '<rect x="460" y="70" width="160" height="80"/><path d="M180 110h280"/></g></svg>'
)


def generate_site(target: Path, posts: int, seed: int = 2026) -> GeneratedSite:
    """Write ``posts`` Markdown posts (plus an about page and an image) under ``target``."""
    rng = random.Random(seed)
    content = Path(target)
    if content.exists():
        shutil.rmtree(content)
    (content / "posts").mkdir(parents=True)
    # A page and an image of its own: content/ is the author's and may hold anything, or nothing.
    (content / "pages").mkdir()
    (content / "pages" / "about.md").write_text(ABOUT_PAGE, encoding="utf-8")
    (content / "images").mkdir()
    (content / "images" / "diagram.svg").write_text(DIAGRAM_SVG, encoding="utf-8")
    written = []
    date = FIRST_DATE
    for number in range(1, posts + 1):
        date += timedelta(days=rng.randint(1, 4), minutes=rng.randint(0, 600))
        path = content / "posts" / f"post-{number:05d}.md"
        path.write_text(_post(rng, number, date), encoding="utf-8")
        written.append(path)
    return GeneratedSite(content, written)


def edit_post(post: Path, note: str = "Edited: a sentence added after publishing.") -> None:
    """The everyday change: one sentence added to the body (not the summary) of one post."""
    text = post.read_text(encoding="utf-8")
    post.write_text(text.rstrip("\n") + f"\n\n{note}\n", encoding="utf-8")


def build(
    site: GeneratedSite,
    output: Path,
    *,
    settings_file: str = "pelicanconf.py",
    counter: bool = True,
    site_url: str | None = None,
) -> Path:
    """Build the generated content with the project's settings, theme and plugin."""
    from deploy.site import build_site

    overrides: dict = {"PATH": str(site.content_dir)}
    if not counter:
        overrides["VISITOR_COUNTER"] = {"enabled": False}
    if site_url is not None:
        # publishconf.py reads SITEURL from the environment; set what it derives from it too.
        overrides.update(SITEURL=site_url, FEED_DOMAIN=site_url)
    with contextlib.redirect_stdout(io.StringIO()):  # Pelican's "Done: processed ..." line
        return build_site(settings_file, output, overrides)


# A spot near the author's home, as a phone writes it into every photo's EXIF.
HOME_GPS = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}


def photo_jpeg(width: int, height: int, seed: int = 0, *, gps: bool = True, orientation: int = 1) -> bytes:
    """A JPEG that compresses like a photo (smooth light, coarse texture, some grain), the same
    for the same arguments, with a phone's GPS position and orientation in its EXIF. Stored
    ``width`` x ``height``, a red block in its stored top-left corner; shown turned a quarter when
    ``orientation`` is 5 to 8 (6: the block shows top right)."""
    from PIL import ExifTags, Image

    rng = random.Random(seed)

    def noise(size: tuple[int, int], spread: int) -> Image.Image:  # seeded, unlike Image.effect_noise
        return Image.frombytes("L", size, bytes(128 - spread + b % (2 * spread) for b in rng.randbytes(size[0] * size[1])))

    small = (max(2, width // 40), max(2, height // 40))
    light = Image.linear_gradient("L").rotate(rng.randrange(360)).resize(small)
    bands = []
    for _ in range(3):
        texture = noise(small, 100)
        bands.append(Image.blend(light, texture, 0.5).resize((width, height), Image.Resampling.BICUBIC))
    grain = Image.frombytes("L", (width // 2, height // 2), rng.randbytes((width // 2) * (height // 2))).resize((width, height))
    image = Image.merge("RGB", [Image.blend(band, grain, 0.05) for band in bands])
    # A red block in the stored top-left corner tells which way the picture is shown.
    image.paste((220, 20, 20), (0, 0, width // 8, height // 8))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Phone"
    if gps:
        exif[ExifTags.IFD.GPSInfo] = HOME_GPS
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()
