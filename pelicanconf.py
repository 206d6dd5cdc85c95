"""Pelican settings for local builds (`make serve`, tests). publishconf.py extends them."""

AUTHOR = "Ada Lovelace"
SITENAME = "Field Notes"
SITESUBTITLE = "A small blog about building small things on AWS"
SITEURL = ""
RELATIVE_URLS = False

PATH = "content"
STATIC_PATHS = ["images"]
OUTPUT_PATH = "output"
DELETE_OUTPUT_DIRECTORY = False

TIMEZONE = "Europe/London"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"

THEME = "theme"
PLUGIN_PATHS = ["plugins"]
PLUGINS = ["visitor_counter"]

VISITOR_COUNTER = {
    "enabled": True,
    "api_path": "/api/hits",
    "label": "Views",
}

# Pretty URLs: every page is a folder with an index.html.
ARTICLE_URL = "posts/{slug}/"
ARTICLE_SAVE_AS = "posts/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
TAGS_SAVE_AS = "tags/index.html"
TAGS_URL = "tags/"
CATEGORY_URL = "categories/{slug}/"
CATEGORY_SAVE_AS = "categories/{slug}/index.html"
CATEGORIES_SAVE_AS = "categories/index.html"
CATEGORIES_URL = "categories/"
ARCHIVES_SAVE_AS = "archives/index.html"
ARCHIVES_URL = "archives/"
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
INDEX_URL = ""
DIRECT_TEMPLATES = ["index", "tags", "categories", "archives", "404"]

DEFAULT_PAGINATION = 3
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)

# Feeds are for the published site (publishconf.py turns them on with an absolute SITEURL).
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.codehilite": {"css_class": "highlight", "guess_lang": False},
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        "markdown.extensions.toc": {"permalink": False},
    },
    "output_format": "html5",
}

MENUITEMS = (("Archives", "/archives/"), ("Tags", "/tags/"))
DISPLAY_PAGES_ON_MENU = True
DISPLAY_CATEGORIES_ON_MENU = False
