"""plugins/photos in real Pelican builds: a phone photo is served as resized variants without its
GPS position, upright, sized in the markup, named by content hash and encoded once."""

from __future__ import annotations

import hashlib
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from bench.sitegen import photo_jpeg
from deploy.headers import IMMUTABLE, headers_for
from deploy.site import build_site
from plugins.photos.markup import find_images
from plugins.photos.options import DEFAULTS, read_options
from tests.blogs import write_blog

SITEURL = "https://blog.example.org"
GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
       b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>'
POST = """
    Title: Harbour at dawn
    Date: 2026-03-01 09:00
    Slug: harbour

    Taken from the pier at six.

    ![The harbour]({static}/images/harbour.jpg)

    ![A small one]({static}/images/small.jpg)

    <img src="{static}/images/harbour.jpg" alt="Thumbnail" width="100">

    ![Diagram]({static}/images/diagram.svg){: width="40" height="20"}

    ![Spinner]({static}/images/spinner.gif)

    ![Elsewhere](https://images.example.com/far.jpg)
    """


def png_bytes(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (10, 120, 200, 128)).save(buffer, format="PNG")
    return buffer.getvalue()


def write_photo_blog(content: Path) -> Path:
    return write_blog(content, {
        "posts/harbour.md": POST,
        # Stored 4000x3000, shown 3000x4000: the phone was held upright (EXIF orientation 6).
        "images/harbour.jpg": photo_jpeg(4000, 3000, orientation=6),
        "images/small.jpg": photo_jpeg(300, 200, seed=2),
        "images/not-shown.jpg": photo_jpeg(200, 150, seed=3),  # copied (STATIC_PATHS), on no page
        "images/diagram.svg": SVG,
        "images/spinner.gif": GIF,
    })


def build(content: Path, output: Path, cache: Path) -> Path:
    return build_site("pelicanconf.py", output, {"MEDIA_CACHE_PATH": str(cache), "SITEURL": SITEURL}, content)


class Images(HTMLParser):
    """The <img> and <source> tags of a page, in order."""

    def __init__(self):
        super().__init__()
        self.images: list[dict] = []
        self.sources: list[list[dict]] = []  # the <source> tags before each <img> of a <picture>
        self._pending: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "source":
            self._pending.append(dict(attrs))
        elif tag == "img":
            self.images.append(dict(attrs))
            self.sources.append(self._pending)
            self._pending = []


def page_images(page: Path) -> Images:
    parser = Images()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def candidates(srcset: str) -> list[tuple[str, int]]:
    """(output path, width) of each candidate of a srcset of absolute URLs."""
    found = []
    for item in srcset.split(","):
        url, width = item.split()
        found.append((url.removeprefix(SITEURL + "/"), int(width.removesuffix("w"))))
    return found


@pytest.fixture(scope="module")
def photo_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    content = write_photo_blog(root / "content")
    output = build(content, root / "output", root / "cache")
    return root, output, page_images(output / "posts" / "harbour" / "index.html")


@pytest.mark.slow
def test_a_phone_photo_is_served_upright_without_its_gps_position(photo_site):
    _, output, page = photo_site
    harbour = page.images[0]
    served = [name for name, _ in candidates(harbour["srcset"])]
    served += [name for source in page.sources[0] for name, _ in candidates(source["srcset"])]
    served.append("images/harbour.jpg")  # the original's own path, which an author may link to
    served.append("images/not-shown.jpg")  # a photo no page shows is published all the same
    assert {Path(name).suffix for name in served} == {".jpg", ".webp", ".avif"}
    for name in served:
        with Image.open(output / name) as image:
            exif = image.getexif()
            assert not exif.get_ifd(ExifTags.IFD.GPSInfo), f"{name} still says where it was taken"
            assert ExifTags.Base.Orientation not in exif and ExifTags.Base.Make not in exif
            assert "xmp" not in image.info and "exif" not in image.info
            if "not-shown" in name:
                continue
            # Upright: 3 wide for 4 high, the red block of the stored top-left corner top right.
            assert image.width * 4 == pytest.approx(image.height * 3, abs=4)
            red, green, _ = image.convert("RGB").getpixel((image.width - 3, 3))
            assert red > 180 and green < 70, f"{name} is not turned the way the phone was held"
    original = Image.open(output / "images" / "harbour.jpg")
    assert original.width <= max(DEFAULTS["widths"])


@pytest.mark.slow
def test_the_img_has_its_size_a_srcset_and_variants_no_wider_than_the_original(photo_site):
    _, output, page = photo_site
    harbour, small = page.images[0], page.images[1]
    assert (harbour["width"], harbour["height"]) == ("3000", "4000")
    assert [width for _, width in candidates(harbour["srcset"])] == DEFAULTS["widths"]
    assert harbour["sizes"] == DEFAULTS["sizes"]
    assert [s["type"] for s in page.sources[0]] == ["image/avif", "image/webp"]
    # A 300 px original gets one width, its own: nothing is enlarged.
    assert (small["width"], small["height"]) == ("300", "200")
    assert [width for _, width in candidates(small["srcset"])] == [300]
    for name, width in candidates(harbour["srcset"]) + candidates(small["srcset"]):
        with Image.open(output / name) as image:
            assert image.width == width


@pytest.mark.slow
def test_variant_names_carry_their_content_hash_and_are_cached_as_immutable(photo_site):
    _, output, page = photo_site
    for name, _ in candidates(page.images[0]["srcset"]):
        data = (output / name).read_bytes()
        digest = re.search(r"\.([0-9a-f]{10})\.jpg$", name).group(1)
        assert hashlib.sha256(data).hexdigest().startswith(digest)
        assert headers_for(name, [hashlib.sha256(data).hexdigest()]).cache_control == IMMUTABLE


@pytest.mark.slow
def test_an_author_sized_image_gets_variants_for_its_display_size(photo_site):
    _, output, page = photo_site
    thumbnail = next(i for i in page.images if i["alt"] == "Thumbnail")
    assert (thumbnail["width"], thumbnail["height"]) == ("100", "133")
    assert thumbnail["sizes"] == "100px"
    assert [width for _, width in candidates(thumbnail["srcset"])] == [100, 200]


@pytest.mark.slow
def test_the_first_image_loads_at_once_and_the_rest_lazily(photo_site):
    _, _, page = photo_site
    first, *rest = [i for i in page.images if "srcset" in i]
    assert "loading" not in first and "decoding" not in first
    assert rest and all(i.get("loading") == "lazy" and i.get("decoding") == "async" for i in rest)


@pytest.mark.slow
def test_svg_gif_and_other_sites_images_pass_untouched(photo_site):
    root, output, page = photo_site
    untouched = {i["src"]: i for i in page.images if "srcset" not in i}
    assert set(untouched) == {f"{SITEURL}/images/diagram.svg", f"{SITEURL}/images/spinner.gif", "https://images.example.com/far.jpg"}
    for name in ("diagram.svg", "spinner.gif"):
        assert (output / "images" / name).read_bytes() == (root / "content" / "images" / name).read_bytes()
    assert not list((output / "images").glob("spinner-*")) and not list((output / "images").glob("diagram-*"))


@pytest.mark.slow
def test_a_second_build_encodes_nothing_and_writes_the_same_bytes(photo_site, tmp_path):
    root, output, _ = photo_site
    cache = root / "cache"
    before = {path: path.stat().st_mtime_ns for path in cache.rglob("*")}
    assert before, "the first build encoded its variants into the cache"
    again = build(root / "content", tmp_path / "output", cache)
    assert {path: path.stat().st_mtime_ns for path in cache.rglob("*")} == before
    for image in sorted((output / "images").glob("*.*")):
        assert (again / "images" / image.name).read_bytes() == image.read_bytes(), image.name


def test_a_png_keeps_its_transparency_and_a_raw_picture_is_left_as_written(tmp_path):
    content = write_blog(tmp_path / "content", {
        "posts/shapes.md": """
            Title: Shapes
            Date: 2026-03-02 09:00
            Slug: shapes

            ![Shape]({static}/images/shape.png)

            <picture><source srcset="/images/shape.png"><img src="/images/shape.png" alt="As written"></picture>
            """,
        "images/shape.png": png_bytes(120, 80),
    })
    output = build(content, tmp_path / "output", tmp_path / "cache")
    page = page_images(output / "posts" / "shapes" / "index.html")
    shape, written = page.images
    assert (shape["width"], shape["height"]) == ("120", "80")
    name, _ = candidates(shape["srcset"])[0]
    assert name.endswith(".png")
    for variant in [name] + [candidates(s["srcset"])[0][0] for s in page.sources[0]]:
        with Image.open(output / variant) as image:
            assert image.mode in ("RGBA", "LA") and image.getpixel((5, 5))[-1] == 128
    assert written == {"src": "/images/shape.png", "alt": "As written"}


def test_find_images_gives_each_tag_exactly():
    html = 'a\n<p><img src="/x.jpg" alt="x &amp; y"></p>\r\n<img src="/y.png"/><picture><img src="/z.jpg"></picture>'
    tags = find_images(html)
    assert [html[t.start:t.end] for t in tags] == ['<img src="/x.jpg" alt="x &amp; y">', '<img src="/y.png"/>']
    assert tags[0].attributes["alt"] == "x & y"


def test_a_bad_option_warns_and_falls_back(caplog):
    options = read_options({"PHOTOS": {"widths": [0, 800], "quality": {"webp": 300}, "sizes": "50vw", "colour": 1}})
    assert options["widths"] == DEFAULTS["widths"] and options["quality"] == DEFAULTS["quality"]
    assert options["sizes"] == "50vw"
    assert "PHOTOS['widths'] must be a non-empty list" in caplog.text and "unknown option 'colour'" in caplog.text


def test_a_later_build_without_the_plugin_leaves_images_as_written(tmp_path):
    """Pelican keeps a plugin's handlers connected for the process: a build that no longer lists
    the plugin (make serve after PLUGINS changed, the tests) must not run them."""
    from pelicanconf import PLUGINS

    content = write_blog(tmp_path / "content", {
        "posts/shape.md": "Title: Shape\nDate: 2026-03-02 09:00\nSlug: shape\n\n![Shape]({static}/images/shape.png)\n",
        "images/shape.png": png_bytes(120, 80),
    })
    build(content, tmp_path / "with", tmp_path / "cache")
    without = build_site("pelicanconf.py", tmp_path / "without", {
        "CACHE_PATH": str(tmp_path / "cache"), "SITEURL": SITEURL,
        "PLUGINS": [p for p in PLUGINS if p != "photos"],
    }, content)
    (image,) = page_images(without / "posts" / "shape" / "index.html").images
    assert image == {"src": f"{SITEURL}/images/shape.png", "alt": "Shape"}
    assert (without / "images" / "shape.png").read_bytes() == (content / "images" / "shape.png").read_bytes()
