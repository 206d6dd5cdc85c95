"""Pelican settings for local builds (`make serve`, tests). publishconf.py extends them."""

# Identity: the theme shows these in the header, the home page profile and the footer.
AUTHOR = "Ada Lovelace"
SITENAME = "Field Notes"
SITESUBTITLE = "A small blog about building small things on AWS"
AUTHOR_BIO = "I build small, cheap, private things on AWS and write down what worked."
# A picture under content/ (e.g. "images/avatar.svg"); without one the theme shows initials.
AUTHOR_AVATAR = ""
# (name, url) pairs, shown on the home page and in the footer.
SOCIAL = (("GitHub", "https://github.com/"),)
# One line in the footer; empty for none.
FOOTER_TEXT = "Written in Markdown, built with Pelican, served from S3 through CloudFront."
SITEURL = ""
RELATIVE_URLS = False

PATH = "content"
STATIC_PATHS = ["images"]
OUTPUT_PATH = "output"
DELETE_OUTPUT_DIRECTORY = False

TIMEZONE = "Europe/London"
# A post dated in the future is held back (built as a draft) until its date; the deploy
# workflow's daily run publishes it then.
WITH_FUTURE_DATES = False
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"

THEME = "theme"
PLUGIN_PATHS = ["plugins"]
PLUGINS = [
    "visitor_counter", "post_neighbors", "menu_pages", "sitemap_xml", "popular_posts",
    # The author's content as written: TeX as MathML, notebooks, inline styles and scripts as files.
    "math_mathml", "notebooks", "inline_assets",
    # Summaries of whole elements, or up to the post's <!-- more -->.
    "summaries",
    # Photos as resized, metadata-free variants; a share card per post.
    "photos", "social_cards",
    # Last: the search index reads the HTML as the other plugins leave it.
    "site_search",
]

VISITOR_COUNTER = {
    "enabled": True,
    "api_path": "/api/hits",
    "label": "Views",
}

# "Most read this month" on the home page: the posts with the most views in the last 30 days,
# ranked when the site is built from the counter table (`make publish`, the scheduled deploy and
# `make serve` give the build the table; a build that cannot read it has no list, and succeeds).
POPULAR_POSTS = {
    "enabled": False,
    "count": 5,
    "title": "Most read this month",
}

# Local JPEG, PNG and WebP images in posts and pages are served as <picture> elements of resized
# variants (AVIF and WebP beside the original's format) with their width and height written, no
# EXIF or GPS position, lazily loaded below the first one; SVG and GIF pass untouched. Each
# variant is encoded once (a cache under CACHE_PATH). All options: plugins/photos/options.py.
PHOTOS = {
    "enabled": True,
    "widths": [480, 664, 1000, 1328],
}

# Each post's picture when its link is shared: a 1200x630 PNG card (title, site name, date, the
# theme's colours), drawn in builds with an absolute SITEURL; a post's own "Image:" line wins.
SOCIAL_CARDS = {"enabled": True}

# Search in the reader's browser, with no server and no third party: the build indexes every
# published post and page with Pagefind (drafts never); the search page loads the index only when
# the reader types. False: no index, no search box.
SITE_SEARCH = {"enabled": True}

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
# One page per year, so the archives of a large blog stay small pages.
YEAR_ARCHIVE_URL = "archives/{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = "archives/{date:%Y}/index.html"
# And one per month: a year of more than YEAR_ARCHIVE_INLINE_MAX (120) posts lists its months
# with their counts, so a daily blog's year page stays a few KB, not 65 KB; the archives page
# then links that year's months, each listing every post of its month.
MONTH_ARCHIVE_URL = "archives/{date:%Y}/{date:%m}/"
MONTH_ARCHIVE_SAVE_AS = "archives/{date:%Y}/{date:%m}/index.html"
DIRECT_TEMPLATES = ["index", "tags", "categories", "archives", "404", "robots", "search"]
ROBOTS_SAVE_AS = "robots.txt"
# The search page; the header's search box sends its query there (plugins/site_search).
SEARCH_SAVE_AS = "search/index.html"
SEARCH_URL = "search/"
# The archives page lists every post grouped by year up to this many posts; past it, the years
# with their counts, each linking to a page that lists every post of its year (or of its month,
# for a year too busy for one page): every title stays one click from the archives.
ARCHIVES_INLINE_MAX = 60

DEFAULT_PAGINATION = 10
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

# The menu is on every page: what is listed there changes every HTML file when it changes.
# A page joins the menu only when its metadata says so, `menu_order: N` (N orders the entries,
# lowest first; see plugins/menu_pages); pages without it are still built and linked from
# wherever the author links them. MENUITEMS come first.
MENUITEMS = (("Archives", "/archives/"), ("Tags", "/tags/"))
DISPLAY_PAGES_ON_MENU = False
DISPLAY_CATEGORIES_ON_MENU = False
